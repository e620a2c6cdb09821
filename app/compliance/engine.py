"""The ordered list of compliance rules, which apply to orders that move real money."""
from __future__ import annotations

from app.compliance.rules import (
    KycDailyVolumeRule,
    KycTradeThresholdRule,
    LargeTransactionRule,
    LiveTradingRequirementsRule,
    OrderBurstRule,
    OutsizedOrderRule,
    RapidRoundTripRule,
)
from app.domain.orders import OrderRequest
from app.domain.pretrade import CheckResult, PreTradeContext

COMPLIANCE_RULES = (
    LiveTradingRequirementsRule(),
    KycTradeThresholdRule(),
    KycDailyVolumeRule(),
    LargeTransactionRule(),
    OrderBurstRule(),
    RapidRoundTripRule(),
    OutsizedOrderRule(),
)


class ComplianceEngine:
    """Runs every rule on live orders; paper money raises no compliance question."""

    def __init__(self, rules=COMPLIANCE_RULES):
        self.rules = rules

    def run(self, request: OrderRequest, ctx: PreTradeContext) -> list[CheckResult]:
        if not ctx.is_live:
            return []
        return [CheckResult(rule.name, rule.evaluate(request, ctx)) for rule in self.rules]
