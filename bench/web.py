"""The web tier under load: gunicorn as the Procfile runs it, wrk at 50 connections, against /healthz."""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

import requests

from app.extensions import db
from bench import seed
from bench.harness import Row, create_bench_app, ms
from bench.processes import WebServer

TRADERS, POSITIONS_EACH, CONNECTIONS = 50, 50, 50
USER_AGENT = "portcullis-bench"
# The platform's router terminates TLS and says so; production cookies are Secure and need it.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1", "User-Agent": USER_AGENT}

WRK_SCRIPT = """
local identities = %(identities)s
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "%(path)s", identities[(counter %% #identities) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "socket_errors": %%d, "http_errors": %%d, "p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua_headers(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f'["{k}"] = {json.dumps(v)}' for k, v in headers.items()) + "}"


def sign_in(url: str, email: str) -> str:
    """A real sign-in through the login form; returns the Cookie header the browser would send."""
    session = requests.Session()
    page = session.get(f"{url}/auth/login", headers=PROXY_HEADERS, timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    answer = requests.post(f"{url}/auth/login", data={"csrf_token": token, "email": email, "password": seed.PASSWORD},
                           headers={**PROXY_HEADERS, "Cookie": cookie, "Referer": f"https://{url.split('://')[1]}/auth/login"},
                           allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in for {email} answered {answer.status_code}")
    return "; ".join(f"{name}={value}" for name, value in answer.cookies.items())


def wrk(url: str, path: str, identities: list[dict[str, str]], duration: int) -> dict:
    script = WRK_SCRIPT % {"identities": "{" + ", ".join(_lua_headers(h) for h in identities) + "}", "path": path}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "30s", "-s",
                                 handle.name, url], capture_output=True, text=True, check=True).stdout
    finally:
        Path(handle.name).unlink()
    return json.loads(output.strip().splitlines()[-1])


def run(duration: int) -> tuple[list[Row], int]:
    app = create_bench_app()
    with app.app_context():
        universe = seed.symbols(500)
        seed.seed_quotes(universe)
        traders = seed.seed_traders(TRADERS, positions_each=POSITIONS_EACH, universe=universe, with_tokens=True,
                                    email_prefix="web")
        db.session.remove()
        db.engine.dispose()
    server = WebServer()
    try:
        browsers = [{**PROXY_HEADERS, "Cookie": sign_in(server.url, t.email)} for t in traders]
        api_clients = [{**PROXY_HEADERS, "Authorization": f"Bearer {t.token}"} for t in traders]
        _check_signed_in(server.url, browsers[0], api_clients[0])
        wrk(server.url, "/healthz", [PROXY_HEADERS], 3)  # warm the workers before measuring
        results = {
            "/healthz": wrk(server.url, "/healthz", [PROXY_HEADERS], duration),
            "/ (dashboard)": wrk(server.url, "/", browsers, duration),
            "/api/v1/positions": wrk(server.url, "/api/v1/positions", api_clients, duration),
        }
    finally:
        peak = server.stop()
    base = results["/healthz"]["p95"]
    rows = []
    for path, result in results.items():
        name = f"web, {path}"
        rows.append(Row(name, "p50 / p95 / p99", " / ".join(ms(result[p] / 1e6) for p in ("p50", "p95", "p99"))))
        rows.append(Row(name, "requests/s", f"{result['requests'] / result['seconds']:.0f}"))
        errors = result["socket_errors"] + result["http_errors"]
        rows.append(Row(name, "errors", str(errors), "0", errors == 0))
        if path != "/healthz":
            ratio = result["p95"] / base
            rows.append(Row(name, "p95 / healthz p95", f"{ratio:.1f}x", "<= 3x", ratio <= 3))
    return rows, peak


def _check_signed_in(url: str, browser: dict, api_client: dict) -> None:
    """Load only counts if it is the real page: a redirect to sign in would look fast and prove nothing."""
    page = requests.get(f"{url}/", headers=browser, allow_redirects=False, timeout=30)
    if page.status_code != 200 or "S00" not in page.text:
        raise RuntimeError(f"the dashboard answered {page.status_code} without the trader's positions")
    positions = requests.get(f"{url}/api/v1/positions", headers=api_client, timeout=30).json()["positions"]
    if len(positions) != POSITIONS_EACH:
        raise RuntimeError(f"the API listed {len(positions)} positions, not {POSITIONS_EACH}")
