"""The registry builds the right adapter for every broker and environment, offline."""
import pytest

from app.brokers.alpaca.adapter import AlpacaAdapter
from app.brokers.registry import BrokerDependencies, build_broker
from app.brokers.tradier.adapter import TradierAdapter
from app.brokers.trading212.adapter import Trading212Adapter
from app.brokers.zerodha.adapter import KiteAdapter

CREDENTIALS = {
    "tradier": {"access_token": "tok", "account_id": "VA000000"},
    "alpaca": {"key_id": "PK", "secret_key": "sk"},
    "zerodha": {"api_key": "key", "api_secret": "secret"},
    "trading212": {"api_key": "key", "api_secret": "secret"},
}


@pytest.mark.parametrize(
    ("broker", "environment", "adapter_class"),
    [
        ("tradier", "sandbox", TradierAdapter), ("tradier", "production", TradierAdapter),
        ("alpaca", "paper", AlpacaAdapter), ("alpaca", "live", AlpacaAdapter),
        ("zerodha", "live", KiteAdapter),
        ("trading212", "demo", Trading212Adapter), ("trading212", "live", Trading212Adapter),
    ],
)
def test_every_broker_and_environment_builds(broker, environment, adapter_class):
    adapter = build_broker(broker, environment, CREDENTIALS[broker], BrokerDependencies())
    assert isinstance(adapter, adapter_class)
    assert adapter.environment == environment


def test_base_urls_come_from_the_dependencies():
    deps = BrokerDependencies(base_urls={"alpaca": {"paper": "http://127.0.0.1:9/alpaca"}})
    adapter = build_broker("alpaca", "paper", CREDENTIALS["alpaca"], deps)
    assert adapter._client.trading.base_url == "http://127.0.0.1:9/alpaca"


def test_a_proxy_routes_every_call_of_the_connection():
    from app.brokers.http import HttpOptions

    deps = BrokerDependencies(http=HttpOptions(proxy_url="http://user:pw@proxy.example:3128"))
    adapter = build_broker("zerodha", "live", CREDENTIALS["zerodha"], deps)
    assert adapter._client.http.session.proxies["https"] == "http://user:pw@proxy.example:3128"
    assert adapter._client.http.session.trust_env is False
