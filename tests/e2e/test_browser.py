"""End to end in headless Chromium: a trader's first paper trade and refusal, an admin's live switch and kill switch."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyotp
import pytest

from app.domain.enums import Role
from app.extensions import db
from app.models import Quote
from app.services.users import create_user
from tests.e2e.fake_alpaca import FakeAlpaca

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "a long trader password"
FERNET_KEY = "QjJwGCUTdflFUPcJsj9_3c1yC_pz-BWi1KIwuDtOolM="

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (.ci/run installs Debian's)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(app, database_url):
    """The real app in its own process, CSRF and all, with Alpaca's live API pointed at a local fake."""
    with FakeAlpaca() as alpaca:
        port = _free_port()
        env = {**os.environ, "PORTCULLIS_ENV": "development", "DATABASE_URL": database_url, "SECRET_KEY": "e2e-" * 10,
               "ENCRYPTION_KEYS": FERNET_KEY, "ALPACA_LIVE_URL": alpaca.url, "DEMO_DATA": "false",
               "RUN_SCHEDULER_IN_WEB": "false", "LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2)
                    break
                except OSError:
                    assert process.poll() is None, process.stderr.read().decode()[-3000:]
                    assert time.monotonic() < deadline, "the app did not start"
                    time.sleep(0.3)
            yield base, alpaca
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fresh_quote(symbol: str, source: str, price: str = "100") -> None:
    now = datetime.now(timezone.utc)
    price = Decimal(price)
    db.session.merge(Quote(symbol=symbol, source=source, bid=price - Decimal("0.1"), ask=price + Decimal("0.1"),
                           last=price, as_of=now, fetched_at=now))
    db.session.commit()


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def place(page, base: str, account: str | None = None, **fields) -> None:
    page.goto(f"{base}/order")
    if account:
        page.select_option("#connection_id", label=account)
    page.fill("#symbol", fields["symbol"])
    page.select_option("#side", fields.get("side", "buy"))
    page.fill("#quantity", fields["quantity"])
    page.select_option("#type", fields.get("type", "limit"))
    if "limit_price" in fields:
        page.fill("#limit_price", fields["limit_price"])
    page.click("button[value=place]")


@needs_chromium
def test_a_trader_trades_on_paper_is_refused_by_a_limit_then_the_kill_switch_stops_live_orders(server, browser):
    base, alpaca = server
    fresh_quote("AAPL", "demo")
    admin = create_user("admin@example.com", PASSWORD, role=Role.ADMIN)
    assert admin.is_admin

    # Register and turn on two-factor authentication.
    trader = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    trader.goto(f"{base}/auth/register")
    trader.fill("#email", "trader@example.com")
    trader.fill("#password", PASSWORD)
    trader.fill("#confirm", PASSWORD)
    trader.click("main button[type=submit]")
    assert trader.inner_text("[data-testid=mode-badge]").strip().startswith("PAPER")
    shot(trader, "dashboard-new-trader")
    trader.goto(f"{base}/settings/2fa")
    secret = trader.inner_text("[data-testid=totp-secret]")
    shot(trader, "enrol-2fa")
    trader.fill("#code", pyotp.TOTP(secret).now())
    trader.click("main button[type=submit]")
    assert "On since" in trader.inner_text("[data-testid=two-factor-status]")
    trader.check("#accept")
    trader.click("form[action$='/settings/disclosure'] button")
    assert "Accepted" in trader.inner_text("[data-testid=disclosure-status]")

    # A paper order fills and the position shows on the dashboard.
    place(trader, base, symbol="AAPL", quantity="5", limit_price="101")
    assert "filled" in trader.inner_text(".flash")
    assert "AAPL" in trader.inner_text("[data-testid=positions]")
    shot(trader, "dashboard-with-position")

    # An order beyond the limits is refused, and the page says which checks and why.
    place(trader, base, symbol="AAPL", quantity="900", limit_price="101")
    refusal = trader.inner_text("[data-testid=order-refused]")
    assert "MAX_ORDER_VALUE" in refusal and "MAX_POSITION_SIZE" in refusal and "limit=" in refusal
    shot(trader, "order-refused")

    # The trader connects a live Alpaca account.
    trader.goto(f"{base}/connections")
    trader.select_option("#broker", "alpaca")
    trader.select_option("#environment", "live")
    trader.fill("#label", "Alpaca live")
    trader.fill("#key", "AKLIVE123")
    trader.fill("#secret", "alpaca-live-secret")
    trader.click("main form:not(.inline) button[type=submit]")
    assert "Alpaca live" in trader.inner_text("[data-testid=connections]")
    assert "alpaca-live-secret" not in trader.content()
    shot(trader, "connections")

    # The admin switches the trader to live, then engages the kill switch.
    admin_page = browser.new_context().new_page()
    sign_in(admin_page, base, "admin@example.com")
    admin_page.goto(f"{base}/admin/")
    admin_page.click("text=trader@example.com")
    admin_page.select_option("#mode", "live")
    admin_page.fill("form[action$='/mode'] #reason", "passed review")
    admin_page.fill("form[action$='/mode'] #password", PASSWORD)
    admin_page.click("form[action$='/mode'] button")
    assert admin_page.inner_text("[data-testid=user-mode]").strip() == "LIVE"
    shot(admin_page, "admin-user")
    admin_page.goto(f"{base}/admin/kill-switch")
    admin_page.fill("#reason", "exchange incident")
    admin_page.fill("#password", PASSWORD)
    admin_page.check("#confirm")
    admin_page.click("main button[type=submit]")
    assert "KILL SWITCH ENGAGED" in admin_page.inner_text("[data-testid=kill-switch-state]")
    shot(admin_page, "kill-switch")
    admin_page.goto(f"{base}/admin/audit")
    audit = admin_page.inner_text("[data-testid=audit]")
    assert "mode_switched" in audit and "kill_switch_engaged" in audit
    shot(admin_page, "audit")

    # The trader's next live order is refused, and never reaches the broker.
    fresh_quote("AAPL", "alpaca")
    place(trader, base, account="Alpaca live (alpaca live)", symbol="AAPL", quantity="1", limit_price="100")
    refusal = trader.inner_text("[data-testid=order-refused]")
    assert "KILL_SWITCH_ENGAGED" in refusal
    assert alpaca.orders_received == []
    trader.goto(f"{base}/")
    assert trader.inner_text("[data-testid=mode-badge]").strip().startswith("LIVE")
    shot(trader, "dashboard-live-refused")


@needs_chromium
def test_admin_pages_are_forbidden_to_traders_in_the_browser(server, browser):
    base, _ = server
    create_user("someone@example.com", PASSWORD)
    page = browser.new_page()
    sign_in(page, base, "someone@example.com")
    response = page.goto(f"{base}/admin/kill-switch")
    assert response.status == 403 and "Only an admin" in page.content()
    assert re.search(r"Forbidden|403", page.title() + page.content())


def test_ci_has_the_browser():
    """Elsewhere the browser tests may skip; in CI they must run."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI is required to have chromium")
    assert CHROMIUM is not None, ".ci/run should have installed Debian's chromium"
