"""A local stand-in for Alpaca's live API: answers the account reads the order pipeline makes, records the rest."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeAlpaca:
    """Serves /v2/account, /v2/positions and /v2/orders on 127.0.0.1; any order it receives is recorded."""

    def __init__(self):
        self.orders_received: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):  # noqa: N802 (http.server's naming)
                if self.path.startswith("/v2/account"):
                    self._send(200, {"account_number": "LIVE-E2E", "currency": "USD", "cash": "50000",
                                     "buying_power": "50000", "equity": "50000"})
                elif self.path.startswith("/v2/positions") or self.path.startswith("/v2/orders"):
                    self._send(200, [])
                else:
                    self._send(404, {"message": "not found"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                fake.orders_received.append(json.loads(self.rfile.read(length) or b"{}"))
                self._send(403, {"code": 40310000, "message": "the e2e fake does not take orders"})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
