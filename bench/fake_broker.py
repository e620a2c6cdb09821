"""A local stand-in for Tradier's quotes endpoint that answers every call after a fixed delay, like a distant broker."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeQuoteBroker:
    """POST /v1/markets/quotes with a form field `symbols`, answered in Tradier's documented shape."""

    def __init__(self, latency_seconds: float = 0.020):
        self.latency = latency_seconds
        self.calls = 0
        self.symbols_asked = 0
        self._lock = threading.Lock()
        broker = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle's algorithm and the client's delayed
            # ACK each answer would wait a further 40 ms, and the latency would not be the one set.
            disable_nagle_algorithm = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                symbols = [s for s in form.get("symbols", [""])[0].split(",") if s]
                time.sleep(broker.latency)
                with broker._lock:
                    broker.calls += 1
                    broker.symbols_asked += len(symbols)
                body = json.dumps({"quotes": {"quote": [_quote(s) for s in symbols]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.calls = self.symbols_asked = 0

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _quote(symbol: str) -> dict:
    now_ms = int(time.time() * 1000)
    return {"symbol": symbol, "description": symbol, "exch": "Q", "type": "stock", "last": 101.25, "bid": 101.2,
            "ask": 101.3, "bidsize": 3, "asksize": 4, "trade_date": now_ms, "bid_date": now_ms, "ask_date": now_ms,
            "volume": 1000, "greeks": None}
