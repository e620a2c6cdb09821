"""Compliance rules for orders that move real money."""
from __future__ import annotations

import statistics
from decimal import Decimal

from app.domain.orders import OrderRequest
from app.domain.pretrade import PreTradeContext, Verdict


def _value(request: OrderRequest, ctx: PreTradeContext) -> Decimal | None:
    return request.notional(ctx.price) if ctx.price is not None else None


class LiveTradingRequirementsRule:
    """Real money needs the current risk disclosure accepted and two-factor authentication on."""

    name = "live_trading_requirements"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        if not ctx.disclosure_current:
            return Verdict.deny("RISK_DISCLOSURE_REQUIRED")
        if not ctx.has_2fa:
            return Verdict.deny("TWO_FACTOR_REQUIRED")
        return Verdict.passed()


class KycTradeThresholdRule:
    """Without verified KYC, no single order above the per-trade threshold."""

    name = "kyc_trade_threshold"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        value, threshold = _value(request, ctx), ctx.compliance.kyc_trade_threshold
        if not ctx.kyc_verified and value is not None and value > threshold:
            return Verdict.deny("KYC_REQUIRED", value=value, threshold=threshold)
        return Verdict.passed()


class KycDailyVolumeRule:
    """Without verified KYC, the day's traded value stays under the daily threshold."""

    name = "kyc_daily_volume"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        value, threshold = _value(request, ctx), ctx.compliance.kyc_daily_volume
        if ctx.kyc_verified or value is None:
            return Verdict.passed()
        volume = sum((order.value for order in ctx.recent_orders), Decimal("0")) + value
        if volume > threshold:
            return Verdict.deny("KYC_DAILY_VOLUME", volume=volume, threshold=threshold)
        return Verdict.passed()


class LargeTransactionRule:
    """Orders at or above the large-transaction threshold go through, and are flagged for review."""

    name = "large_transaction"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        value, threshold = _value(request, ctx), ctx.compliance.large_transaction
        if value is not None and value >= threshold:
            return Verdict.flag("LARGE_TRANSACTION", value=value, threshold=threshold)
        return Verdict.passed()


class OrderBurstRule:
    """Many orders in a few seconds looks automated or panicked: flag it."""

    name = "order_burst"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        settings = ctx.compliance
        recent = len(ctx.orders_since(settings.burst_seconds)) + 1
        if recent >= settings.burst_orders:
            return Verdict.flag("ORDER_BURST", orders=recent, seconds=settings.burst_seconds)
        return Verdict.passed()


class RapidRoundTripRule:
    """Reversing a fill in the same symbol within minutes is a pattern regulators ask about."""

    name = "rapid_round_trip"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        window = ctx.compliance.round_trip_seconds
        for order in ctx.orders_since(window):
            if order.filled and order.symbol == request.symbol and order.side != request.side:
                return Verdict.flag("RAPID_ROUND_TRIP", symbol=request.symbol, seconds=window)
        return Verdict.passed()


class OutsizedOrderRule:
    """An order far larger than the user's usual ones is flagged."""

    name = "outsized_order"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        settings, value = ctx.compliance, _value(request, ctx)
        history = [order.value for order in ctx.recent_orders]
        if value is None or len(history) < settings.outsized_min_history:
            return Verdict.passed()
        typical = statistics.median(history)
        if typical > 0 and value > typical * settings.outsized_multiple:
            return Verdict.flag("OUTSIZED_ORDER", value=value, typical=typical, multiple=settings.outsized_multiple)
        return Verdict.passed()
