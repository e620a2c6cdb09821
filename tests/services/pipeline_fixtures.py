"""Shared arrangements for order pipeline tests: a trader, a fresh quote, a fixed time in market hours."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from app.domain.enums import BrokerName
from app.extensions import db
from app.models import BrokerConnection, Quote, RiskLimits, User
from app.services.users import create_user

MONDAY_OPEN = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York, a regular session
SATURDAY = datetime(2026, 3, 7, 15, 0, tzinfo=timezone.utc)
THANKSGIVING = datetime(2026, 11, 26, 16, 0, tzinfo=timezone.utc)


def trader(email="trader@example.com", balance="100000", **limits) -> User:
    user = create_user(email, "correct horse battery")
    user.paper_balance = Decimal(balance)
    row = db.session.scalar(db.select(RiskLimits).where(RiskLimits.user_id == user.id))
    for name, value in limits.items():
        setattr(row, name, value)
    db.session.commit()
    return user


def paper_connection(user: User) -> BrokerConnection:
    return db.session.scalar(
        db.select(BrokerConnection).where(BrokerConnection.user_id == user.id, BrokerConnection.broker == BrokerName.PAPER)
    )


def quote(symbol="AAPL", bid="99.90", ask="100.10", last="100.00", at=MONDAY_OPEN, age_seconds=5, source="demo",
          **greeks):
    as_of = at - timedelta(seconds=age_seconds)
    row = db.session.get(Quote, (symbol, source)) or Quote(symbol=symbol, source=source)
    row.bid, row.ask, row.last, row.as_of, row.fetched_at = Decimal(bid), Decimal(ask), Decimal(last), as_of, as_of
    for name, value in greeks.items():
        setattr(row, name, Decimal(value))
    db.session.add(row)
    db.session.commit()
    return row

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"
ALPACA_LIVE = "https://api.alpaca.markets"
ALPACA_KEYS = {"key_id": "AKLIVEKEY001", "secret_key": "alpaca-live-secret-001"}


def live_trader(email="live@example.com", **limits):
    """A trader an admin has switched to live: 2FA on, disclosure accepted, KYC verified, an Alpaca live account."""
    from flask import current_app

    from app.domain.enums import KycStatus, TradingMode
    from app.services import accounts
    from app.services.credentials import store_totp_secret

    user = trader(email, **limits)
    store_totp_secret(user, TOTP_SECRET)
    user.totp_enabled_at = MONDAY_OPEN - timedelta(days=30)
    user.risk_disclosure_version = current_app.config["RISK_DISCLOSURE_VERSION"]
    user.risk_disclosure_accepted_at = MONDAY_OPEN - timedelta(days=30)
    user.kyc_status = KycStatus.VERIFIED
    user.trading_mode = TradingMode.LIVE
    db.session.commit()
    connection = accounts.create_connection(user, "alpaca", "live", "Alpaca live", ALPACA_KEYS)
    quote(source="alpaca")
    return user, connection


def mock_alpaca_account(rsps, buying_power="100000", positions=()):
    money = {"account_number": "LIVE001", "currency": "USD", "cash": buying_power, "buying_power": buying_power,
             "equity": buying_power}
    rsps.get(f"{ALPACA_LIVE}/v2/account", json=money)
    rsps.get(f"{ALPACA_LIVE}/v2/positions", json=list(positions))


def alpaca_order_json(order_id="61e69015-8549-4bfd-b9c3-01e75843f47d", status="accepted", client_order_id="x",
                      qty="10", filled_qty="0", filled_avg_price=None, symbol="AAPL", side="buy"):
    return {"id": order_id, "client_order_id": client_order_id, "symbol": symbol, "qty": qty, "side": side,
            "type": "market", "time_in_force": "day", "status": status, "filled_qty": filled_qty,
            "filled_avg_price": filled_avg_price, "created_at": "2026-03-02T15:00:00Z", "limit_price": None,
            "stop_price": None}
