"""Checks on how the user has been trading: rates, losses, duplicates and confirmations."""
from __future__ import annotations

from decimal import Decimal

from app.domain.orders import OrderRequest
from app.domain.pretrade import PreTradeContext, Verdict
from app.risk.base import limit, order_value, percent_of, protective, reduces_position


class MaxTradesPerDayCheck:
    """At most max_trades_per_day orders in the trading day; protective exits are exempt."""

    name = "max_trades_per_day"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        cap = limit(ctx, "max_trades_per_day")
        if cap is None or protective(request, ctx):
            return Verdict.passed()
        if ctx.trades_today + 1 > cap:
            return Verdict.deny("MAX_TRADES_PER_DAY", trades_today=ctx.trades_today, limit=cap)
        return Verdict.passed()


class MaxOrdersPerMinuteCheck:
    """At most max_orders_per_minute orders in any sixty seconds; protective exits are exempt."""

    name = "max_orders_per_minute"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        cap = limit(ctx, "max_orders_per_minute")
        if cap is None or protective(request, ctx):
            return Verdict.passed()
        last_minute = ctx.trades_last_minute
        if last_minute + 1 > cap:
            return Verdict.deny("MAX_ORDERS_PER_MINUTE", orders_last_minute=last_minute, limit=cap)
        return Verdict.passed()


def loss_verdict(code: str, start: Decimal | None, equity: Decimal, percent, amount) -> Verdict:
    """DENY with `code` when the loss since `start` is beyond `percent` of it or beyond `amount`."""
    if start is None:
        return Verdict.passed()
    loss = start - equity
    if percent is not None and loss > percent_of(start, percent):
        return Verdict.deny(code, loss=loss, limit=percent_of(start, percent), form="percent", percent=percent)
    if amount is not None and loss > amount:
        return Verdict.deny(code, loss=loss, limit=amount, form="absolute")
    return Verdict.passed()


class DailyLossCheck:
    """A loss since the trading day began beyond the limit stops new risk (and the pipeline halts the user)."""

    name = "daily_loss"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if reduces_position(request, ctx):
            return Verdict.passed()
        return loss_verdict(
            "DAILY_LOSS_LIMIT", ctx.day_start_equity, ctx.account.equity,
            limit(ctx, "max_daily_loss_percent"), limit(ctx, "max_daily_loss_amount"),
        )


class WeeklyLossCheck:
    """The same for the trading week."""

    name = "weekly_loss"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if reduces_position(request, ctx):
            return Verdict.passed()
        return loss_verdict(
            "WEEKLY_LOSS_LIMIT", ctx.week_start_equity, ctx.account.equity,
            limit(ctx, "max_weekly_loss_percent"), limit(ctx, "max_weekly_loss_amount"),
        )


class DuplicateOrderCheck:
    """The same symbol, side and quantity again within a short window is probably a double click: ask."""

    name = "duplicate_order"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        window = ctx.compliance.duplicate_window_seconds
        for order in ctx.orders_since(window):
            if (order.symbol, order.side, order.quantity) == (request.symbol, request.side, request.quantity):
                return Verdict.confirm("POSSIBLE_DUPLICATE", window_seconds=window)
        return Verdict.passed()


class LargeLiveOrderCheck:
    """Real money above the confirmation threshold needs an explicit confirmation with a TOTP code."""

    name = "large_live_order"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        value = order_value(request, ctx)
        threshold = ctx.compliance.live_confirm_threshold
        if ctx.is_live and value is not None and value > threshold:
            return Verdict.confirm("LARGE_LIVE_ORDER", totp=True, value=value, threshold=threshold)
        return Verdict.passed()
