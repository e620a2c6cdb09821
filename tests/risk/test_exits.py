"""Exit rules fire at their levels, for longs and shorts, and options leave before expiry."""
from datetime import date
from decimal import Decimal as D

import pytest

from app.risk.exits import ExitRules, exit_signal, updated_extreme

TODAY = date(2026, 3, 2)


def fired(rules, mark, exit_days=1):
    signal = exit_signal(rules, D(mark), TODAY, exit_days)
    return signal.rule if signal else None


@pytest.mark.parametrize(("mark", "rule"), [("95.01", None), ("95", "stop_loss"), ("110", "take_profit"),
                                            ("109.99", None)])
def test_long_stop_loss_and_take_profit_at_their_levels(mark, rule):
    assert fired(ExitRules("AAPL", D("10"), stop_loss=D("95"), take_profit=D("110")), mark) == rule


@pytest.mark.parametrize(("mark", "rule"), [("105", "stop_loss"), ("104.99", None), ("90", "take_profit")])
def test_short_rules_are_mirrored(mark, rule):
    assert fired(ExitRules("AAPL", D("-10"), stop_loss=D("105"), take_profit=D("90")), mark) == rule


def test_a_trailing_stop_follows_the_high_and_fires_on_the_pullback():
    rules = ExitRules("AAPL", D("10"), trailing_stop_percent=D("5"), extreme=D("120"))
    assert fired(rules, "114.01") is None
    assert fired(rules, "114") == "trailing_stop"  # 5% below the 120 high
    assert updated_extreme(rules, D("125")) == D("125") and updated_extreme(rules, D("100")) == D("120")


def test_a_short_trailing_stop_follows_the_low():
    rules = ExitRules("AAPL", D("-10"), trailing_stop_percent=D("10"), extreme=D("50"))
    assert fired(rules, "54.99") is None and fired(rules, "55") == "trailing_stop"
    assert updated_extreme(rules, D("45")) == D("45")


@pytest.mark.parametrize(("symbol", "rule"), [("SPY260303C00500000", "expiry"), ("SPY260304C00500000", None)])
def test_options_exit_the_configured_days_before_expiry(symbol, rule):
    assert fired(ExitRules(symbol, D("1")), "5") == rule


def test_no_rules_no_exit():
    assert fired(ExitRules("AAPL", D("10")), "1") is None
