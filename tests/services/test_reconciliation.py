"""Reconciliation settles what the pipeline could not, never sends anything, and applies each fill once."""
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from app.domain.enums import OrderSource, OrderStatus
from app.domain.broker_types import OrderReport
from app.domain.enums import OrderSide, OrderType
from app.extensions import db
from app.models import AuditEvent, Order, OrderFill, PaperOrderRow, Position
from app.services import order_pipeline
from app.services.accounts import adapter_for
from app.services.order_state import apply_report
from app.services.reconciliation import reconcile
from tests.services.pipeline_fixtures import (
    ALPACA_LIVE, MONDAY_OPEN, alpaca_order_json, live_trader, mock_alpaca_account, paper_connection, quote, trader,
)

BUY = {"symbol": "AAPL", "side": "buy", "quantity": "10"}
LATER = MONDAY_OPEN + timedelta(minutes=3)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def user(app):
    user = trader()
    quote()
    return user


def _crash(monkeypatch, after_broker: bool):
    """The process dies after the write-ahead commit: before the broker call, or after it but before recording."""

    def send(order, connection, adapter, request, now):
        if after_broker:
            adapter.place_order(request, order.client_order_id)
        raise SystemExit("process killed")

    monkeypatch.setattr(order_pipeline, "_send", send)


def _submit_and_die(monkeypatch, user, connection, *, after_broker: bool) -> Order:
    _crash(monkeypatch, after_broker)
    with pytest.raises(SystemExit):
        order_pipeline.submit_order(user, {**BUY, "connection_id": connection.id}, source=OrderSource.API,
                                    now=MONDAY_OPEN)
    monkeypatch.undo()
    db.session.rollback()  # whatever the dead process had not committed is gone
    return db.session.scalar(sa.select(Order))


def _mock_alpaca_orders(rsps, orders: list[dict]):
    rsps.get(f"{ALPACA_LIVE}/v2/orders", json=orders)
    if orders:
        rsps.get(f"{ALPACA_LIVE}/v2/orders:by_client_order_id", json=orders[0])
    else:
        rsps.get(f"{ALPACA_LIVE}/v2/orders:by_client_order_id", status=404, json={"code": 40410000,
                                                                                   "message": "order not found"})


def test_a_crash_before_sending_is_settled_without_sending(app, rsps, monkeypatch):
    user, connection = live_trader()
    mock_alpaca_account(rsps)
    order = _submit_and_die(monkeypatch, user, connection, after_broker=False)
    assert order.status == OrderStatus.PENDING_SUBMIT

    assert reconcile(now=MONDAY_OPEN + timedelta(seconds=30)).orders_checked == 0  # still within the grace period
    _mock_alpaca_orders(rsps, [])
    report = reconcile(now=LATER)
    db.session.refresh(order)
    assert report.orders_updated == 1 and order.status == OrderStatus.FAILED
    assert not any(call.request.method == "POST" for call in rsps.calls)  # nothing was ever sent, nor is now


def test_a_crash_after_sending_is_found_at_the_broker_and_filled_once(app, rsps, monkeypatch):
    user, connection = live_trader()
    mock_alpaca_account(rsps)
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json(order_id="b1", client_order_id="sent"))
    order = _submit_and_die(monkeypatch, user, connection, after_broker=True)
    assert order.status == OrderStatus.PENDING_SUBMIT and order.broker_order_id is None

    filled = alpaca_order_json(order_id="b1", status="filled", client_order_id=order.client_order_id,
                               filled_qty="10", filled_avg_price="100.05")
    _mock_alpaca_orders(rsps, [filled])
    rsps.get(f"{ALPACA_LIVE}/v2/positions", json=[  # answered once the empty list has been read
        {"symbol": "AAPL", "qty": "10", "avg_entry_price": "100.05", "side": "long", "current_price": "101"}])
    reconcile(now=LATER)
    reconcile(now=LATER + timedelta(minutes=1))
    db.session.refresh(order)
    assert order.status == OrderStatus.FILLED and order.broker_order_id == "b1"
    assert count(OrderFill) == 1 and count(Order) == 1
    assert db.session.scalar(sa.select(Position.quantity).where(Position.symbol == "AAPL")) == Decimal("10")
    assert [call.request.method for call in rsps.calls].count("POST") == 1  # the one the dead process made


def test_a_paper_order_and_its_fill_commit_together_or_not_at_all(user, monkeypatch):
    """The simulator's books are in our database: a crash mid-fill leaves neither the order nor the fill."""
    connection = paper_connection(user)
    cash_before = adapter_for(connection).get_account().cash
    db.session.rollback()

    def fill_then_die(order, connection, adapter, request, now):
        adapter.place_order(request, order.client_order_id)
        raise SystemExit("process killed")

    monkeypatch.setattr(order_pipeline, "_send", fill_then_die)
    with pytest.raises(SystemExit):
        order_pipeline.submit_order(user, BUY, source=OrderSource.API, now=MONDAY_OPEN)
    db.session.rollback()
    assert count(Order) == 0 and count(PaperOrderRow) == 0 and count(OrderFill) == 0
    assert adapter_for(connection).get_account().cash == cash_before


def test_an_unknown_live_order_is_settled_by_its_client_order_id(app, rsps):
    user, connection = live_trader()
    mock_alpaca_account(rsps)
    rsps.post(f"{ALPACA_LIVE}/v2/orders", body=requests.ReadTimeout("timed out"))
    result = order_pipeline.submit_order(user, {**BUY, "connection_id": connection.id}, source=OrderSource.API,
                                         now=MONDAY_OPEN)
    order = result.order
    assert order.status == OrderStatus.UNKNOWN
    rsps.reset()

    filled = alpaca_order_json(order_id="b1", status="filled", client_order_id=order.client_order_id,
                               filled_qty="10", filled_avg_price="100.05")
    external = alpaca_order_json(order_id="zz", status="accepted", client_order_id="typed-in-the-brokers-app",
                                 symbol="TSLA", qty="3")
    rsps.get(f"{ALPACA_LIVE}/v2/orders", json=[filled, external])
    rsps.get(f"{ALPACA_LIVE}/v2/orders:by_client_order_id", json=filled)
    rsps.get(f"{ALPACA_LIVE}/v2/positions", json=[
        {"symbol": "AAPL", "qty": "10", "avg_entry_price": "100.05", "side": "long", "current_price": "101"},
        {"symbol": "MSFT", "qty": "4", "avg_entry_price": "300", "side": "long", "current_price": "301"},
    ])
    report = reconcile(now=LATER)
    db.session.refresh(order)
    assert order.status == OrderStatus.FILLED and order.avg_fill_price == Decimal("100.05")
    assert report.external_orders == 1
    external_order = db.session.scalar(sa.select(Order).where(Order.source == OrderSource.EXTERNAL))
    assert (external_order.symbol, external_order.broker_order_id) == ("TSLA", "zz")
    positions = {p.symbol: p for p in db.session.scalars(sa.select(Position))}
    assert positions["AAPL"].quantity == 10 and not positions["AAPL"].external
    assert positions["MSFT"].external and positions["MSFT"].quantity == 4
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"external_order_found", "external_position_found"} <= actions
    assert not any(call.request.method == "POST" for call in rsps.calls)  # reconciliation never sends


def test_a_broker_that_cannot_be_read_is_left_for_the_next_run(app, rsps):
    user, connection = live_trader()
    db.session.add(Order(user_id=user.id, connection_id=connection.id, client_order_id="pc1", symbol="AAPL",
                         asset_class="equity", side="buy", quantity=Decimal("1"), order_type="market",
                         time_in_force="day", status=OrderStatus.UNKNOWN, trading_mode="live", source="api",
                         checks=[], created_at=MONDAY_OPEN))
    db.session.commit()
    rsps.get(f"{ALPACA_LIVE}/v2/orders", status=503, body="down")
    report = reconcile(now=LATER)
    assert report.errors == {connection.id: "BROKER_UNAVAILABLE"}
    assert db.session.scalar(sa.select(Order.status)) == OrderStatus.UNKNOWN


def _report(order, status, filled, price=None):
    return OrderReport(order.broker_order_id or "b1", order.symbol, OrderSide.BUY, order.quantity, OrderType.MARKET,
                       status, Decimal(filled), Decimal(price) if price else None)


def test_late_events_never_move_an_order_backwards_and_fills_apply_once(user):
    order = order_pipeline.submit_order(user, {**BUY, "type": "limit", "limit_price": "90"}, source=OrderSource.API,
                                        now=MONDAY_OPEN).order
    apply_report(order, _report(order, OrderStatus.PARTIALLY_FILLED, "4", "90"))
    apply_report(order, _report(order, OrderStatus.PARTIALLY_FILLED, "4", "90"))  # the same event again
    apply_report(order, _report(order, OrderStatus.FILLED, "10", "89.70"))
    apply_report(order, _report(order, OrderStatus.SUBMITTED, "0"))  # a late, stale event
    db.session.commit()
    assert order.status == OrderStatus.FILLED and order.filled_quantity == 10
    fills = db.session.scalars(sa.select(OrderFill).order_by(OrderFill.id)).all()
    assert [(f.quantity, f.price) for f in fills] == [(4, Decimal("90")), (6, Decimal("89.5"))]
    assert order.avg_fill_price == Decimal("89.7")


def test_a_filled_report_short_of_the_full_quantity_does_not_close_the_order(user):
    order = order_pipeline.submit_order(user, {**BUY, "type": "limit", "limit_price": "90"}, source=OrderSource.API,
                                        now=MONDAY_OPEN).order
    apply_report(order, _report(order, OrderStatus.FILLED, "3", None))  # filled, but no price to book it at
    assert order.status == OrderStatus.SUBMITTED and order.filled_quantity == 0


def test_reconcile_matches_the_venue_for_paper_orders(user):
    resting = order_pipeline.submit_order(user, {**BUY, "type": "limit", "limit_price": "95"}, source=OrderSource.API,
                                          now=MONDAY_OPEN).order
    quote(bid="94.50", ask="94.80", last="94.60", at=LATER)
    adapter_for(paper_connection(user)).match_resting_orders()
    db.session.commit()
    reconcile(now=LATER)
    db.session.refresh(resting)
    assert resting.status == OrderStatus.FILLED and resting.avg_fill_price == Decimal("94.8")


def test_two_fills_in_a_new_symbol_settled_together_open_one_position(user):
    for quantity, limit in (("10", "95"), ("5", "94.90")):
        result = order_pipeline.submit_order(user, {**BUY, "quantity": quantity, "type": "limit", "limit_price": limit},
                                             source=OrderSource.API, now=MONDAY_OPEN)
        assert result.accepted and result.order.status == OrderStatus.SUBMITTED
    quote(bid="94.50", ask="94.80", last="94.60", at=LATER)
    adapter_for(paper_connection(user)).match_resting_orders()
    db.session.commit()
    reconcile(now=LATER)  # both fills in one transaction: the second finds the position the first opened
    positions = db.session.scalars(sa.select(Position)).all()
    assert [(p.symbol, p.quantity, p.avg_price) for p in positions] == [("AAPL", Decimal("15"), Decimal("94.8"))]
    assert count(OrderFill) == 2


def test_positions_are_synced_from_every_active_connection(app, rsps):
    user, connection = live_trader()  # no orders at all
    rsps.get(f"{ALPACA_LIVE}/v2/orders", json=[])
    rsps.get(f"{ALPACA_LIVE}/v2/positions", json=[
        {"symbol": "NVDA", "qty": "3", "avg_entry_price": "800", "side": "long", "current_price": "810"}])
    report = reconcile(now=LATER)
    assert report.positions_corrected == 1
    position = db.session.scalar(sa.select(Position).where(Position.connection_id == connection.id))
    assert (position.symbol, position.quantity, position.external) == ("NVDA", 3, True)
