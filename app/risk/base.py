"""What every check shares: the protocol, and reading the order against the context."""
from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from app.domain.enums import OrderSide, OrderSource
from app.domain.orders import OrderRequest
from app.domain.pretrade import PreTradeContext, Verdict

# Sources whose position-reducing orders must get through limits meant to stop new risk.
PROTECTIVE_SOURCES = frozenset({OrderSource.MONITOR, OrderSource.KILL_SWITCH})


class Check(Protocol):
    """A pure rule of (OrderRequest, PreTradeContext) -> Verdict."""

    name: str

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        """PASS, or DENY / CONFIRM / FLAG with a stable code and key=value details."""


def limit(ctx: PreTradeContext, field: str):
    """The limit in force for this user (their own or the platform default); None means off."""
    return ctx.limits.get(field)


def order_value(request: OrderRequest, ctx: PreTradeContext) -> Decimal | None:
    return request.notional(ctx.price) if ctx.price is not None else None


def reduces_position(request: OrderRequest, ctx: PreTradeContext) -> bool:
    """True when the order only shrinks an existing position (never flips or opens one)."""
    holding = ctx.holding(request.symbol)
    if holding is None or holding.quantity == 0 or request.quantity > abs(holding.quantity):
        return False
    return (holding.quantity > 0) == (request.side == OrderSide.SELL)


def protective(request: OrderRequest, ctx: PreTradeContext) -> bool:
    """An exit fired by the monitor or the kill switch that only reduces risk."""
    return ctx.source in PROTECTIVE_SOURCES and reduces_position(request, ctx)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * Decimal(percent) / 100
