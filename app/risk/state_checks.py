"""Checks on who may trade now and whether the order fits the broker and the market."""
from __future__ import annotations

from app.domain.enums import OrderSource, OrderType, TradingMode
from app.domain.orders import OrderRequest
from app.domain.pretrade import PreTradeContext, Verdict
from app.risk.base import protective, reduces_position


class TradingStateCheck:
    """Halted users and the kill switch stop new orders; only protective exits still get through."""

    name = "trading_state"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if ctx.trading_mode == TradingMode.HALTED and not protective(request, ctx):
            return Verdict.deny("TRADING_HALTED", mode=ctx.trading_mode)
        if ctx.is_live and ctx.kill_switch_engaged and not (
            ctx.source == OrderSource.KILL_SWITCH and reduces_position(request, ctx)
        ):
            return Verdict.deny("KILL_SWITCH_ENGAGED")
        if ctx.is_live and ctx.trading_mode == TradingMode.PAPER:
            return Verdict.deny("LIVE_TRADING_NOT_ENABLED", mode=ctx.trading_mode)
        return Verdict.passed()


class OrderShapeCheck:
    """The broker must support the asset class, order type, time in force and quantity."""

    name = "order_shape"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        caps = ctx.capabilities
        if request.asset_class not in caps.asset_classes:
            return Verdict.deny("ASSET_CLASS_UNSUPPORTED", asset_class=request.asset_class)
        if request.order_type not in caps.order_types:
            return Verdict.deny("ORDER_TYPE_UNSUPPORTED", order_type=request.order_type)
        if request.time_in_force not in caps.time_in_force:
            return Verdict.deny("TIME_IN_FORCE_UNSUPPORTED", time_in_force=request.time_in_force)
        whole = request.quantity == request.quantity.to_integral_value()
        if not whole and (not caps.fractional_quantities or request.multiplier != 1):
            return Verdict.deny("FRACTIONAL_UNSUPPORTED", quantity=request.quantity)
        return Verdict.passed()


class PriceAvailableCheck:
    """Every limit is measured in money, so an order we cannot value cannot be checked."""

    name = "price_available"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if ctx.price is None or ctx.price <= 0:
            return Verdict.deny("PRICE_UNAVAILABLE", symbol=request.symbol)
        return Verdict.passed()


class StaleQuoteCheck:
    """Real money never moves on a price older than STALE_QUOTE_SECONDS."""

    name = "stale_quote"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if not ctx.is_live:
            return Verdict.passed()
        if ctx.quote_age_seconds is None:
            return Verdict.deny("STALE_QUOTE", symbol=request.symbol, age="none")
        if ctx.quote_age_seconds > ctx.stale_quote_seconds:
            return Verdict.deny(
                "STALE_QUOTE", symbol=request.symbol, age=round(ctx.quote_age_seconds), limit=ctx.stale_quote_seconds
            )
        return Verdict.passed()


class MarketHoursCheck:
    """A market order while the instrument's exchange is closed would fill at the next open's price: refuse it."""

    name = "market_hours"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if request.order_type == OrderType.MARKET and not ctx.market_open:
            return Verdict.deny("MARKET_CLOSED", calendar=ctx.market_calendar)
        return Verdict.passed()


class OptionExpiryCheck:
    """New option positions only within the allowed days to expiry; closing one is always allowed."""

    name = "option_expiry"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if ctx.option_days_to_expiry is None or reduces_position(request, ctx):
            return Verdict.passed()
        dte = ctx.option_days_to_expiry
        low, high = ctx.limits.get("min_dte"), ctx.limits.get("max_dte")
        if low is not None and dte < low:
            return Verdict.deny("OPTION_DTE_TOO_SHORT", days_to_expiry=dte, min_dte=low)
        if high is not None and dte > high:
            return Verdict.deny("OPTION_DTE_TOO_LONG", days_to_expiry=dte, max_dte=high)
        return Verdict.passed()
