"""A PreTradeContext with sensible defaults, for pure check tests."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from app.domain.broker_types import AccountSnapshot, Capabilities
from app.domain.enums import AssetClass, OrderSide, OrderSource, OrderType, TimeInForce, TradingMode
from app.domain.orders import OrderRequest
from app.domain.pretrade import Holding, PreTradeContext, RecentOrder

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
D = Decimal

CAPABILITIES = Capabilities(
    asset_classes=frozenset(AssetClass), order_types=frozenset(OrderType), time_in_force=frozenset(TimeInForce),
    fractional_quantities=True, quote_batch_size=100, idempotent_client_order_id=True, has_quotes=True,
)
NO_LIMITS = {name: None for name in (
    "max_position_size_percent", "max_capital_at_risk_percent", "max_open_positions", "max_daily_loss_percent",
    "max_weekly_loss_percent", "min_dte", "max_dte", "max_order_value", "max_trades_per_day",
    "max_orders_per_minute", "min_account_balance", "max_daily_loss_amount", "max_weekly_loss_amount", "max_position_value",
    "max_portfolio_delta", "max_portfolio_theta", "max_portfolio_vega", "max_symbol_concentration_percent",
)}


def context(**overrides) -> PreTradeContext:
    limits = {**NO_LIMITS, **overrides.pop("limits", {})}
    base = PreTradeContext(
        now=NOW, trading_day=date(2026, 3, 2), source=OrderSource.API, trading_mode=TradingMode.PAPER,
        is_live=False, kill_switch_engaged=False, limits=limits, capabilities=CAPABILITIES,
        account=AccountSnapshot("acct", "USD", D("100000"), D("100000"), D("100000")),
        holdings=(), unreflected_buy_value=D("0"), open_buy_value=D("0"), symbols_pending_open=frozenset(),
        price=D("100"), quote_age_seconds=1.0, stale_quote_seconds=300, market_open=True, market_calendar="XNYS",
        recent_orders=(), day_start_equity=None, week_start_equity=None, kyc_verified=True, has_2fa=True,
        disclosure_current=True,
    )
    return replace(base, **overrides)


def order(quantity="10", side="buy", symbol="AAPL", **fields) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=OrderSide(side), quantity=D(quantity), **fields)


def holding(symbol="AAPL", quantity="10", price="100", **fields) -> Holding:
    return Holding(symbol, fields.pop("underlying", symbol), D(quantity), D(price), **fields)


def recent(seconds_ago=30, symbol="AAPL", side="buy", quantity="10", value="1000", filled=True) -> RecentOrder:
    return RecentOrder(symbol, OrderSide(side), D(quantity), D(value), NOW - timedelta(seconds=seconds_ago), filled)
