"""Compliance rules at their thresholds, on live orders only."""
import pytest

from app.compliance.engine import COMPLIANCE_RULES, ComplianceEngine
from app.compliance.rules import (
    KycDailyVolumeRule, KycTradeThresholdRule, LargeTransactionRule, LiveTradingRequirementsRule, OrderBurstRule,
    OutsizedOrderRule, RapidRoundTripRule,
)
from app.domain.pretrade import Outcome
from tests.risk.context import context, order, recent


def outcome(rule, request, ctx):
    result = rule.evaluate(request, ctx)
    return result.outcome, result.code


LIVE = dict(is_live=True)


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"disclosure_current": False}, "RISK_DISCLOSURE_REQUIRED"), ({"has_2fa": False}, "TWO_FACTOR_REQUIRED")],
)
def test_live_orders_need_the_disclosure_and_2fa(fields, code):
    assert outcome(LiveTradingRequirementsRule(), order(), context(**LIVE, **fields)) == (Outcome.DENY, code)


@pytest.mark.parametrize(("quantity", "expected"), [("100", Outcome.PASS), ("100.01", Outcome.DENY)])
def test_kyc_per_trade_threshold_at_the_edge(quantity, expected):
    assert outcome(KycTradeThresholdRule(), order(quantity), context(**LIVE, kyc_verified=False))[0] == expected
    assert outcome(KycTradeThresholdRule(), order("1000"), context(**LIVE, kyc_verified=True))[0] == Outcome.PASS


@pytest.mark.parametrize(("quantity", "expected"), [("100", Outcome.PASS), ("100.01", Outcome.DENY)])
def test_kyc_daily_volume_at_the_edge(quantity, expected):
    today = tuple(recent(600 + n, value="10000") for n in range(4))  # 40000 already today
    ctx = context(**LIVE, kyc_verified=False, recent_orders=today)
    assert outcome(KycDailyVolumeRule(), order(quantity), ctx)[0] == expected


@pytest.mark.parametrize(("quantity", "expected"), [("499.99", Outcome.PASS), ("500", Outcome.FLAG)])
def test_large_transactions_are_flagged_from_the_threshold(quantity, expected):
    assert outcome(LargeTransactionRule(), order(quantity), context(**LIVE))[0] == expected


@pytest.mark.parametrize(("earlier", "expected"), [(3, Outcome.PASS), (4, Outcome.FLAG)])
def test_a_burst_of_orders_is_flagged(earlier, expected):
    ctx = context(**LIVE, recent_orders=tuple(recent(1 + n) for n in range(earlier)))
    assert outcome(OrderBurstRule(), order(), ctx)[0] == expected


def test_a_rapid_round_trip_is_flagged():
    bought = context(**LIVE, recent_orders=(recent(120, side="buy", filled=True),))
    assert outcome(RapidRoundTripRule(), order(side="sell"), bought) == (Outcome.FLAG, "RAPID_ROUND_TRIP")
    assert outcome(RapidRoundTripRule(), order(side="buy"), bought)[0] == Outcome.PASS
    old = context(**LIVE, recent_orders=(recent(301, side="buy"),))
    assert outcome(RapidRoundTripRule(), order(side="sell"), old)[0] == Outcome.PASS


def test_an_order_far_larger_than_usual_is_flagged():
    history = tuple(recent(600 + n, value="1000") for n in range(5))
    ctx = context(**LIVE, recent_orders=history)
    assert outcome(OutsizedOrderRule(), order("100"), ctx)[0] == Outcome.PASS  # 10000 = 10 x 1000
    assert outcome(OutsizedOrderRule(), order("100.01"), ctx) == (Outcome.FLAG, "OUTSIZED_ORDER")
    assert outcome(OutsizedOrderRule(), order("1000"), context(**LIVE, recent_orders=history[:4]))[0] == Outcome.PASS


def test_paper_orders_raise_no_compliance_question():
    assert ComplianceEngine().run(order("100000"), context(is_live=False, kyc_verified=False)) == []
    assert len(ComplianceEngine().run(order(), context(**LIVE))) == len(COMPLIANCE_RULES)
