"""The ordered list of risk checks; adding a rule is one class and one line here."""
from __future__ import annotations

from app.domain.orders import OrderRequest
from app.domain.pretrade import CheckResult, PreTradeContext
from app.risk.activity_checks import (
    DailyLossCheck,
    DuplicateOrderCheck,
    LargeLiveOrderCheck,
    MaxOrdersPerMinuteCheck,
    MaxTradesPerDayCheck,
    WeeklyLossCheck,
)
from app.risk.base import Check
from app.risk.exposure_checks import (
    BuyingPowerCheck,
    CapitalAtRiskCheck,
    MaxOpenPositionsCheck,
    MaxOrderValueCheck,
    MaxPositionSizeCheck,
    MaxPositionValueCheck,
    MinAccountBalanceCheck,
    PortfolioGreeksCheck,
    SymbolConcentrationCheck,
)
from app.risk.state_checks import (
    MarketHoursCheck,
    OptionExpiryCheck,
    OrderShapeCheck,
    PriceAvailableCheck,
    StaleQuoteCheck,
    TradingStateCheck,
)

RISK_CHECKS: tuple[Check, ...] = (
    TradingStateCheck(),
    OrderShapeCheck(),
    PriceAvailableCheck(),
    StaleQuoteCheck(),
    MarketHoursCheck(),
    BuyingPowerCheck(),
    MinAccountBalanceCheck(),
    MaxOrderValueCheck(),
    MaxPositionSizeCheck(),
    MaxPositionValueCheck(),
    SymbolConcentrationCheck(),
    CapitalAtRiskCheck(),
    MaxOpenPositionsCheck(),
    MaxTradesPerDayCheck(),
    MaxOrdersPerMinuteCheck(),
    DailyLossCheck(),
    WeeklyLossCheck(),
    OptionExpiryCheck(),
    PortfolioGreeksCheck(),
    DuplicateOrderCheck(),
    LargeLiveOrderCheck(),
)


class RiskEngine:
    """Runs every check, in order, and keeps every answer: the trader sees all that failed, not the first."""

    def __init__(self, checks: tuple[Check, ...] = RISK_CHECKS):
        self.checks = checks

    def run(self, request: OrderRequest, ctx: PreTradeContext) -> list[CheckResult]:
        return [CheckResult(check.name, check.evaluate(request, ctx)) for check in self.checks]
