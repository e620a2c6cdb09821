"""The production app plus one route doing only the floor's bare transaction, so the HTTP floor pays for the
same server, framework and transport as the pipeline it is compared with. Used only by the benchmark."""
from flask import jsonify, request

from app.extensions import db
from bench.pipeline import FLOOR_PATH, bare_order_transaction
from wsgi import app


@app.post(FLOOR_PATH)
def bench_floor():
    body = request.get_json()
    index = int(body["client_order_id"].rsplit("-", 1)[1])
    bare_order_transaction(db.engine, body["user_id"], body["connection_id"], index)
    return jsonify(ok=True), 201
