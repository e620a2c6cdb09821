"""Broker connections: validation, encryption, ownership and building adapters from stored rows."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.brokers.alpaca.adapter import AlpacaAdapter
from app.brokers.paper.adapter import PaperAdapter
from app.domain.enums import ConnectionStatus, OrderSide, OrderStatus
from app.domain.errors import InvalidInput, NotFound
from app.domain.orders import OrderRequest
from app.extensions import db
from app.models import AuditEvent, BrokerConnection, PaperAccount, PaperHoldingRow, PaperOrderRow, Quote
from app.services import accounts
from app.services.credentials import read_connection_credentials
from tests.factories import UserFactory

ALPACA = {"key_id": "PKTESTKEY0001", "secret_key": "alpaca-secret-0f9e8d7c6b5a"}


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_connection_encrypts_and_audits(app):
    user = UserFactory()
    connection = accounts.create_connection(user, "alpaca", "paper", "My Alpaca", ALPACA, "http://proxy.example:3128")
    assert connection.status == ConnectionStatus.ACTIVE
    assert ALPACA["secret_key"] not in connection.credentials_encrypted
    assert read_connection_credentials(connection) == {**ALPACA, "proxy_url": "http://proxy.example:3128"}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "connection_created"))
    assert event.after == {"broker": "alpaca", "environment": "paper", "proxy": True}
    assert ALPACA["secret_key"] not in str(event.after)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("robinhood", "live", "x", {}), "UNKNOWN_BROKER"),
        (("alpaca", "sandbox", "x", ALPACA), "UNKNOWN_ENVIRONMENT"),
        (("zerodha", "paper", "x", {"api_key": "k", "api_secret": "s"}), "UNKNOWN_ENVIRONMENT"),
        (("alpaca", "paper", "x", {"key_id": "PK"}), "CREDENTIALS_MISSING"),
        (("alpaca", "paper", "x", {**ALPACA, "password": "p"}), "CREDENTIALS_UNKNOWN_FIELD"),
        (("alpaca", "paper", "x", {**ALPACA, "secret_key": "has spaces in it"}), "CREDENTIALS_INVALID"),
        (("alpaca", "paper", "x", {**ALPACA, "secret_key": 12345}), "CREDENTIALS_INVALID"),
        (("alpaca", "paper", "x", {**ALPACA, "secret_key": "k" * 513}), "CREDENTIALS_INVALID"),
        (("alpaca", "paper", "x", ["not", "a", "dict"]), "CREDENTIALS_INVALID"),
        (("alpaca", "paper", "l" * 101, ALPACA), "LABEL_INVALID"),
        (("alpaca", "paper", "x", ALPACA, "ftp://proxy"), "PROXY_INVALID"),
        (("alpaca", "paper", "x", ALPACA, "http://"), "PROXY_INVALID"),
    ],
)
def test_bad_connection_input_is_refused_and_nothing_is_written(app, args, code):
    user = UserFactory()
    db.session.commit()
    before = count(BrokerConnection)
    with pytest.raises(InvalidInput) as refused:
        accounts.create_connection(user, *args)
    assert refused.value.code == code
    db.session.rollback()
    assert count(BrokerConnection) == before


def test_a_kite_connection_without_a_session_needs_login(app):
    user = UserFactory()
    connection = accounts.create_connection(user, "zerodha", "live", "Kite", {"api_key": "kiteapikey", "api_secret": "kitesecret"})
    assert connection.status == ConnectionStatus.NEEDS_LOGIN


def test_another_users_connection_is_not_found(app):
    owner, other = UserFactory(), UserFactory()
    connection = accounts.create_connection(owner, "alpaca", "paper", "A", ALPACA)
    assert accounts.get_connection(owner, connection.id) is connection
    for probe in (connection.id, str(connection.id), 999999, "abc", None):
        with pytest.raises(NotFound):
            accounts.get_connection(other, probe)


def test_adapter_for_builds_the_right_adapter(app):
    user = UserFactory()
    connection = accounts.create_connection(user, "alpaca", "paper", "A", ALPACA)
    assert isinstance(accounts.adapter_for(connection), AlpacaAdapter)


def _paper_connection_with_an_aapl_quote():
    user = UserFactory(paper_balance=Decimal("5000"))
    paper = accounts.create_connection(user, "paper", "paper", "Paper", {})
    now = datetime.now(timezone.utc)
    db.session.add(Quote(symbol="AAPL", source="demo", bid=Decimal("99.9"), ask=Decimal("100.1"),
                         last=Decimal("100"), as_of=now, fetched_at=now))
    db.session.commit()
    return paper


def test_the_paper_simulator_keeps_its_state_in_the_database(app):
    paper = _paper_connection_with_an_aapl_quote()

    adapter = accounts.adapter_for(paper)
    assert isinstance(adapter, PaperAdapter)
    ack = adapter.place_order(OrderRequest("AAPL", OrderSide.BUY, Decimal("10")), "pc00000000000000000001")
    db.session.commit()
    assert ack.status == OrderStatus.FILLED

    db.session.expire_all()
    reopened = accounts.adapter_for(paper)  # a fresh adapter reads the same venue back
    assert reopened.get_positions()[0].quantity == Decimal("10")
    assert reopened.get_order(ack.broker_order_id).avg_fill_price == Decimal("100.1")
    assert db.session.get(PaperAccount, paper.id).cash == Decimal("5000") - Decimal("1001.0")
    assert db.session.scalar(sa.select(PaperHoldingRow.symbol)) == "AAPL"
    again = reopened.place_order(OrderRequest("AAPL", OrderSide.BUY, Decimal("10")), "pc00000000000000000001")
    assert again.broker_order_id == ack.broker_order_id  # the same client order id never fills twice


def test_the_paper_simulator_fills_a_client_order_id_once_within_one_transaction_too(app):
    paper = _paper_connection_with_an_aapl_quote()

    adapter = accounts.adapter_for(paper)
    request = OrderRequest("AAPL", OrderSide.BUY, Decimal("45"))  # 4,504.50 of the 5,000
    first = adapter.place_order(request, "pc00000000000000000002")
    # Before any commit, and though the account could no longer pay for it: the first answer, nothing moved.
    again = adapter.place_order(request, "pc00000000000000000002")
    db.session.commit()
    assert again == first and first.status == OrderStatus.FILLED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperOrderRow)) == 1
    assert db.session.get(PaperAccount, paper.id).cash == Decimal("495.5")
    assert db.session.scalar(sa.select(PaperHoldingRow.quantity)) == Decimal("45")
