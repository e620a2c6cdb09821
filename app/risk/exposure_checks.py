"""Checks on money: buying power, balances, order and position size, concentration, capital at risk, greeks."""
from __future__ import annotations

from decimal import Decimal

from app.domain.enums import AssetClass, OrderSide
from app.domain.options import InvalidOptionSymbol, OptionSymbol
from app.domain.orders import OrderRequest
from app.domain.pretrade import PreTradeContext, Verdict
from app.risk.base import limit, order_value, percent_of, protective, reduces_position


def underlying_of(symbol: str) -> str:
    try:
        return OptionSymbol.parse(symbol).root
    except InvalidOptionSymbol:
        return symbol


class BuyingPowerCheck:
    """The broker's buying power, less what our own unsent orders will take, must cover a new exposure."""

    name = "buying_power"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        value = order_value(request, ctx)
        if value is None or reduces_position(request, ctx):
            return Verdict.passed()
        available = ctx.account.buying_power - ctx.unreflected_buy_value
        if value > available:
            return Verdict.deny("INSUFFICIENT_BUYING_POWER", required=value, available=available)
        return Verdict.passed()


class MinAccountBalanceCheck:
    """A buy may not take cash below the account's floor."""

    name = "min_account_balance"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        floor, value = limit(ctx, "min_account_balance"), order_value(request, ctx)
        if floor is None or value is None or request.side != OrderSide.BUY or reduces_position(request, ctx):
            return Verdict.passed()
        after = ctx.account.cash - ctx.unreflected_buy_value - value
        if after < floor:
            return Verdict.deny("MIN_ACCOUNT_BALANCE", balance_after=after, minimum=floor)
        return Verdict.passed()


class MaxOrderValueCheck:
    """No single order above max_order_value (a fat-finger guard); protective exits are exempt."""

    name = "max_order_value"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        cap, value = limit(ctx, "max_order_value"), order_value(request, ctx)
        if cap is None or value is None or protective(request, ctx):
            return Verdict.passed()
        if value > cap:
            return Verdict.deny("MAX_ORDER_VALUE", value=value, limit=cap)
        return Verdict.passed()


def _position_value_after(request: OrderRequest, ctx: PreTradeContext, value: Decimal) -> Decimal:
    holding = ctx.holding(request.symbol)
    return (holding.value if holding else Decimal("0")) + value


class MaxPositionSizeCheck:
    """One instrument's position may be at most max_position_size_percent of equity."""

    name = "max_position_size"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        percent, value = limit(ctx, "max_position_size_percent"), order_value(request, ctx)
        if percent is None or value is None or reduces_position(request, ctx):
            return Verdict.passed()
        after, allowed = _position_value_after(request, ctx, value), percent_of(ctx.account.equity, percent)
        if after > allowed:
            return Verdict.deny("MAX_POSITION_SIZE", position_value=after, limit=allowed, percent=percent)
        return Verdict.passed()


class MaxPositionValueCheck:
    """One instrument's position may be worth at most max_position_value, whatever the equity."""

    name = "max_position_value"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        cap, value = limit(ctx, "max_position_value"), order_value(request, ctx)
        if cap is None or value is None or reduces_position(request, ctx):
            return Verdict.passed()
        after = _position_value_after(request, ctx, value)
        if after > cap:
            return Verdict.deny("MAX_POSITION_VALUE", position_value=after, limit=cap)
        return Verdict.passed()


class SymbolConcentrationCheck:
    """Everything on one underlying (its shares and options together) at most max_symbol_concentration_percent of equity."""

    name = "symbol_concentration"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        percent, value = limit(ctx, "max_symbol_concentration_percent"), order_value(request, ctx)
        if percent is None or value is None or reduces_position(request, ctx):
            return Verdict.passed()
        underlying = underlying_of(request.symbol)
        after = value + sum((h.value for h in ctx.holdings if h.underlying == underlying), Decimal("0"))
        allowed = percent_of(ctx.account.equity, percent)
        if after > allowed:
            return Verdict.deny("SYMBOL_CONCENTRATION", underlying=underlying, exposure=after, limit=allowed)
        return Verdict.passed()


class CapitalAtRiskCheck:
    """All positions plus open buy orders plus this one at most max_capital_at_risk_percent of equity."""

    name = "capital_at_risk"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        percent, value = limit(ctx, "max_capital_at_risk_percent"), order_value(request, ctx)
        if percent is None or value is None or reduces_position(request, ctx):
            return Verdict.passed()
        at_risk = sum((h.value for h in ctx.holdings), Decimal("0")) + ctx.open_buy_value + value
        allowed = percent_of(ctx.account.equity, percent)
        if at_risk > allowed:
            return Verdict.deny("MAX_CAPITAL_AT_RISK", capital_at_risk=at_risk, limit=allowed, percent=percent)
        return Verdict.passed()


class MaxOpenPositionsCheck:
    """At most max_open_positions instruments held, counting those our open orders are about to open."""

    name = "max_open_positions"

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        cap = limit(ctx, "max_open_positions")
        held = {h.symbol for h in ctx.holdings if h.quantity != 0}
        if cap is None or request.symbol in held or request.symbol in ctx.symbols_pending_open:
            return Verdict.passed()
        count = len(held | ctx.symbols_pending_open)
        if count + 1 > cap:
            return Verdict.deny("MAX_OPEN_POSITIONS", open_positions=count, limit=cap)
        return Verdict.passed()


class PortfolioGreeksCheck:
    """Optional caps on the portfolio's delta, theta and vega once this option order is added."""

    name = "portfolio_greeks"
    GREEKS = (("delta", "max_portfolio_delta"), ("theta", "max_portfolio_theta"), ("vega", "max_portfolio_vega"))

    def evaluate(self, request: OrderRequest, ctx: PreTradeContext) -> Verdict:
        caps = [(greek, limit(ctx, field)) for greek, field in self.GREEKS if limit(ctx, field) is not None]
        if not caps or request.asset_class != AssetClass.OPTION or reduces_position(request, ctx):
            return Verdict.passed()
        order_greeks = dict(zip(("delta", "theta", "vega"), ctx.option_greeks or (None, None, None)))
        sign = Decimal(1) if request.side == OrderSide.BUY else Decimal(-1)
        for greek, cap in caps:
            total = Decimal("0")
            for holding in ctx.holdings:
                per_unit = Decimal(1) if greek == "delta" and holding.asset_class == AssetClass.EQUITY else getattr(holding, greek)
                if holding.asset_class == AssetClass.EQUITY and greek != "delta":
                    continue
                if per_unit is None:
                    return Verdict.deny("GREEKS_UNAVAILABLE", symbol=holding.symbol, greek=greek)
                total += per_unit * holding.quantity * holding.multiplier
            if order_greeks[greek] is None:
                return Verdict.deny("GREEKS_UNAVAILABLE", symbol=request.symbol, greek=greek)
            total += order_greeks[greek] * sign * request.quantity * request.multiplier
            if abs(total) > cap:
                return Verdict.deny(f"MAX_PORTFOLIO_{greek.upper()}", value=total, limit=cap)
        return Verdict.passed()
