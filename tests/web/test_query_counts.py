"""Each trader page costs a fixed number of SQL queries, however many positions, orders and fills it shows."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.domain.enums import OrderSource
from app.extensions import db
from app.services.api_tokens import create_token
from app.services.order_pipeline import submit_order
from tests.services.pipeline_fixtures import MONDAY_OPEN, paper_connection, quote, trader

PAGES = ["/", "/performance", "/api/v1/positions", "/api/v1/orders", "/api/v1/account", "/api/v1/risk"]


def _trade(email: str, symbols: int) -> dict[str, str]:
    """A trader holding `symbols` positions, each with a filled order and a resting one; returns API headers."""
    user = trader(email, balance="10000000", max_open_positions=1000, max_trades_per_day=1000,
                  max_orders_per_minute=1000, max_position_size_percent=100, max_capital_at_risk_percent=100,
                  max_symbol_concentration_percent=100)
    connection = paper_connection(user)
    for n in range(symbols):
        symbol = f"Q{n:03d}"
        quote(symbol, source="tradier")
        for price in ("101", "50"):  # one fills at once, one rests below the market
            result = submit_order(user, {"symbol": symbol, "side": "buy", "quantity": "1", "type": "limit",
                                         "limit_price": price, "connection_id": connection.id, "confirm": True},
                                  source=OrderSource.API, now=MONDAY_OPEN)
            assert result.accepted, result.code
    token, _ = create_token(user, "counting")
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def counted_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _queries(client, auth, email: str, headers: dict[str, str], page: str) -> int:
    auth.login(email, "correct horse battery")
    client.get(page, headers=headers if page.startswith("/api/") else {})  # first view may set the day's baselines
    with counted_queries() as statements:
        response = client.get(page, headers=headers if page.startswith("/api/") else {})
    assert response.status_code == 200, response.data[:300]
    auth.logout()
    return len(statements)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_costs_the_same_queries_for_one_position_as_for_thirty(app, client, auth, page):
    few = _trade("few@example.com", 1)
    many = _trade("many@example.com", 30)
    with_one, with_thirty = _queries(client, auth, "few@example.com", few, page), \
        _queries(client, auth, "many@example.com", many, page)
    assert with_one == with_thirty, f"{page}: {with_one} queries with 1 position, {with_thirty} with 30"
    assert with_thirty <= 30, f"{page} issues {with_thirty} queries"
