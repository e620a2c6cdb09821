"""One error shape for scripts, a page for browsers, and a rollback on 500."""
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent


def test_unknown_api_path_answers_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "NOT_FOUND"


def test_unknown_page_answers_html(client):
    response = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert response.status_code == 404 and "text/html" in response.content_type


def test_wrong_method_is_a_clear_error(client):
    response = client.get("/auth/logout", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_server_error_rolls_back_the_half_written_transaction(app_factory):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.route("/api/v1/_half_write")
    def half_write():
        db.session.add(AuditEvent(action="half_written"))
        db.session.flush()
        raise RuntimeError("crash mid-transaction")

    response = app.test_client().get("/api/v1/_half_write")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "INTERNAL_ERROR"
    assert "crash mid-transaction" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
