"""Populations for the benchmarks, written in bulk: traders with paper accounts, positions, quotes and API tokens."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import insert

from app.domain.enums import AssetClass, BrokerEnvironment, BrokerName
from app.extensions import db
from app.models import (ApiToken, BrokerConnection, PaperAccount, PaperHoldingRow, Position, Quote, RiskLimits,
                        User)
from app.security import hash_api_token, new_api_token
from app.services.users import hash_password

PASSWORD = "bench horse battery staple"
OPENING_CASH = Decimal("10000000")
# Wide enough that every benchmark order passes every check: the checks still run, none refuses.
GENEROUS_LIMITS = {
    "max_position_size_percent": Decimal("100"), "max_capital_at_risk_percent": Decimal("100"),
    "max_open_positions": 100_000, "max_order_value": Decimal("1000000000"), "max_trades_per_day": 1_000_000,
    "max_orders_per_minute": 1_000_000, "max_symbol_concentration_percent": Decimal("100"),
}


@dataclass
class Trader:
    user_id: int
    connection_id: int
    email: str
    token: str | None = None


def symbols(count: int) -> list[str]:
    """`count` distinct ticker-shaped symbols: S0000, S0001, ..."""
    return [f"S{n:04d}" for n in range(count)]


def seed_traders(count: int, *, positions_each: int = 0, universe: list[str] | None = None,
                 with_tokens: bool = False, email_prefix: str = "trader", exits: bool = False) -> list[Trader]:
    """`count` traders, each with a funded paper connection holding `positions_each` symbols from `universe`.

    Positions are mirrored at the paper venue, as a fill would have left them. With `exits`, every position
    carries a stop-loss, a take-profit and a trailing stop that the seeded prices do not reach.
    """
    password_hash = hash_password(PASSWORD)
    now = datetime.now(timezone.utc)
    universe = universe or symbols(max(positions_each, 1))
    users = db.session.execute(
        insert(User).returning(User.id, User.email),
        [{"email": f"{email_prefix}{n}@bench.example", "password_hash": password_hash,
          "paper_balance": OPENING_CASH} for n in range(count)],
    ).all()
    db.session.execute(insert(RiskLimits), [{"user_id": user_id, **GENEROUS_LIMITS} for user_id, _ in users])
    connections = db.session.execute(
        insert(BrokerConnection).returning(BrokerConnection.id, BrokerConnection.user_id),
        [{"user_id": user_id, "broker": BrokerName.PAPER, "environment": BrokerEnvironment.PAPER,
          "label": "Paper simulator"} for user_id, _ in users],
    ).all()
    connection_of = {user_id: connection_id for connection_id, user_id in connections}
    db.session.execute(insert(PaperAccount), [{"connection_id": c, "cash": OPENING_CASH} for c, _ in connections])
    positions, holdings = [], []
    for index, (user_id, _) in enumerate(users):
        for k in range(positions_each):
            symbol = universe[(index * positions_each + k) % len(universe)]
            row = {"connection_id": connection_of[user_id], "symbol": symbol, "asset_class": AssetClass.EQUITY,
                   "quantity": Decimal(10), "avg_price": Decimal("100.00")}
            holdings.append(dict(row))
            exit_rules = {"stop_loss": Decimal("50"), "take_profit": Decimal("500"),
                          "trailing_stop_percent": Decimal("40")} if exits else {}
            positions.append({**row, "user_id": user_id, "opened_at": now, **exit_rules})
    for start in range(0, len(positions), 5000):
        db.session.execute(insert(Position), positions[start:start + 5000])
        db.session.execute(insert(PaperHoldingRow), holdings[start:start + 5000])
    traders = [Trader(user_id, connection_of[user_id], email) for user_id, email in users]
    if with_tokens:
        for trader in traders:
            trader.token = new_api_token()
            db.session.add(ApiToken(user_id=trader.user_id, name="bench", token_hash=hash_api_token(trader.token),
                                    prefix=trader.token[:10]))
    db.session.commit()
    return traders


def seed_quotes(universe: list[str], *, source: str = "tradier", at: datetime | None = None) -> None:
    """A fresh quote at 100.00 for every symbol."""
    at = at or datetime.now(timezone.utc)
    db.session.execute(insert(Quote), [
        {"symbol": s, "source": source, "bid": Decimal("99.95"), "ask": Decimal("100.05"), "last": Decimal("100.00"),
         "as_of": at, "fetched_at": at} for s in universe
    ])
    db.session.commit()

