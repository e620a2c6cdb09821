"""Every risk check at its edge: exactly at the limit passes, one unit over is denied."""

import pytest

from app.domain.enums import AssetClass, OrderSource, OrderType, TimeInForce, TradingMode
from app.domain.pretrade import Outcome
from app.risk.activity_checks import (
    DailyLossCheck, DuplicateOrderCheck, LargeLiveOrderCheck, MaxOrdersPerMinuteCheck, MaxTradesPerDayCheck,
    WeeklyLossCheck,
)
from app.risk.engine import RISK_CHECKS, RiskEngine
from app.risk.exposure_checks import (
    BuyingPowerCheck, CapitalAtRiskCheck, MaxOpenPositionsCheck, MaxOrderValueCheck, MaxPositionSizeCheck,
    MaxPositionValueCheck, MinAccountBalanceCheck, PortfolioGreeksCheck, SymbolConcentrationCheck,
)
from app.risk.state_checks import (
    MarketHoursCheck, OptionExpiryCheck, OrderShapeCheck, PriceAvailableCheck, StaleQuoteCheck, TradingStateCheck,
)
from tests.risk.context import CAPABILITIES, D, context, holding, order, recent

OPTION = "SPY260320C00500000"


def verdict(check, request, ctx):
    return check.evaluate(request, ctx)


def passes(check, request, ctx):
    return verdict(check, request, ctx).outcome == Outcome.PASS


def denied_code(check, request, ctx):
    result = verdict(check, request, ctx)
    assert result.outcome == Outcome.DENY, result
    return result.code


# --- state, shape, price, quotes, market hours, expiry ---------------------------------------------


def test_halted_users_are_denied_but_protective_exits_pass():
    ctx = context(trading_mode=TradingMode.HALTED, holdings=(holding(quantity="10"),))
    assert denied_code(TradingStateCheck(), order("5"), ctx) == "TRADING_HALTED"
    assert denied_code(TradingStateCheck(), order("5", side="sell"), ctx) == "TRADING_HALTED"  # a manual exit
    monitor = context(trading_mode=TradingMode.HALTED, holdings=(holding(quantity="10"),), source=OrderSource.MONITOR)
    assert passes(TradingStateCheck(), order("10", side="sell"), monitor)
    assert denied_code(TradingStateCheck(), order("11", side="sell"), monitor) == "TRADING_HALTED"  # would flip short


@pytest.mark.parametrize(
    ("mode", "live", "kill", "source", "side", "expected"),
    [
        (TradingMode.PAPER, False, False, OrderSource.API, "buy", None),
        (TradingMode.PAPER, False, True, OrderSource.API, "buy", None),  # the kill switch stops live flow only
        (TradingMode.PAPER, True, False, OrderSource.API, "buy", "LIVE_TRADING_NOT_ENABLED"),
        (TradingMode.LIVE, False, False, OrderSource.API, "buy", None),  # live users may still practise on paper
        (TradingMode.LIVE, True, False, OrderSource.API, "buy", None),
        (TradingMode.LIVE, True, True, OrderSource.API, "buy", "KILL_SWITCH_ENGAGED"),
        (TradingMode.LIVE, True, True, OrderSource.MONITOR, "sell", "KILL_SWITCH_ENGAGED"),
        (TradingMode.LIVE, True, True, OrderSource.KILL_SWITCH, "sell", None),  # flattening through the switch
        (TradingMode.LIVE, True, True, OrderSource.KILL_SWITCH, "buy", "KILL_SWITCH_ENGAGED"),
        (TradingMode.HALTED, True, False, OrderSource.API, "buy", "TRADING_HALTED"),
        (TradingMode.HALTED, False, False, OrderSource.DASHBOARD, "buy", "TRADING_HALTED"),
    ],
)
def test_every_mode_and_kill_switch_combination(mode, live, kill, source, side, expected):
    ctx = context(trading_mode=mode, is_live=live, kill_switch_engaged=kill, source=source,
                  holdings=(holding(quantity="10"),))
    result = verdict(TradingStateCheck(), order("10", side=side), ctx)
    assert (result.code if result.outcome == Outcome.DENY else None) == expected


@pytest.mark.parametrize(
    ("capabilities", "request_fields", "code"),
    [
        ({"asset_classes": frozenset({AssetClass.EQUITY})}, {"asset_class": AssetClass.OPTION, "symbol": OPTION}, "ASSET_CLASS_UNSUPPORTED"),
        ({"order_types": frozenset({OrderType.MARKET})}, {"order_type": OrderType.LIMIT, "limit_price": D("1")}, "ORDER_TYPE_UNSUPPORTED"),
        ({"time_in_force": frozenset({TimeInForce.DAY})}, {"time_in_force": TimeInForce.GTC}, "TIME_IN_FORCE_UNSUPPORTED"),
        ({"fractional_quantities": False}, {"quantity": D("0.5")}, "FRACTIONAL_UNSUPPORTED"),
        ({}, {"quantity": D("1.5"), "asset_class": AssetClass.OPTION, "symbol": OPTION}, "FRACTIONAL_UNSUPPORTED"),
    ],
)
def test_order_shape_must_fit_the_broker(capabilities, request_fields, code):
    from dataclasses import replace

    ctx = context(capabilities=replace(CAPABILITIES, **capabilities))
    fields = {"symbol": "AAPL", "quantity": D("1"), **request_fields}
    symbol, quantity = fields.pop("symbol"), fields.pop("quantity")
    assert denied_code(OrderShapeCheck(), order(str(quantity), symbol=symbol, **fields), ctx) == code


def test_an_order_that_cannot_be_valued_is_denied():
    assert denied_code(PriceAvailableCheck(), order(), context(price=None)) == "PRICE_UNAVAILABLE"


@pytest.mark.parametrize(("age", "ok"), [(300.0, True), (300.5, False), (None, False)])
def test_stale_quotes_block_live_orders_at_the_edge(age, ok):
    ctx = context(is_live=True, quote_age_seconds=age, stale_quote_seconds=300)
    assert passes(StaleQuoteCheck(), order(), ctx) is ok
    assert passes(StaleQuoteCheck(), order(), context(is_live=False, quote_age_seconds=age))  # paper is not blocked


def test_market_orders_are_refused_while_the_market_is_closed_and_limits_rest():
    closed = context(market_open=False)
    assert denied_code(MarketHoursCheck(), order(), closed) == "MARKET_CLOSED"
    assert passes(MarketHoursCheck(), order(order_type=OrderType.LIMIT, limit_price=D("99")), closed)


@pytest.mark.parametrize(("dte", "code"), [(6, "OPTION_DTE_TOO_SHORT"), (7, None), (60, None), (61, "OPTION_DTE_TOO_LONG")])
def test_option_days_to_expiry_at_both_edges(dte, code):
    ctx = context(option_days_to_expiry=dte, limits={"min_dte": 7, "max_dte": 60})
    result = verdict(OptionExpiryCheck(), order("1", symbol=OPTION, asset_class=AssetClass.OPTION), ctx)
    assert (result.code if result.outcome == Outcome.DENY else None) == code


def test_closing_an_option_near_expiry_is_allowed():
    ctx = context(option_days_to_expiry=1, limits={"min_dte": 7},
                  holdings=(holding(OPTION, "2", "3", asset_class=AssetClass.OPTION, underlying="SPY"),))
    assert passes(OptionExpiryCheck(), order("2", side="sell", symbol=OPTION, asset_class=AssetClass.OPTION), ctx)


# --- money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "ok"), [("100", True), ("100.01", False)])
def test_buying_power_at_the_edge_counts_unsent_orders(quantity, ok):
    ctx = context(account=context().account.__class__("a", "USD", D("20000"), D("15000"), D("20000")),
                  unreflected_buy_value=D("5000"))
    assert passes(BuyingPowerCheck(), order(quantity), ctx) is ok  # 100 x 100 = 10000 = 15000 - 5000


def test_selling_what_is_held_needs_no_buying_power():
    ctx = context(account=context().account.__class__("a", "USD", D("0"), D("0"), D("1000")),
                  holdings=(holding(quantity="10"),))
    assert passes(BuyingPowerCheck(), order("10", side="sell"), ctx)


@pytest.mark.parametrize(("quantity", "ok"), [("900", True), ("900.01", False)])
def test_min_account_balance_at_the_edge(quantity, ok):
    ctx = context(limits={"min_account_balance": D("10000")})  # cash 100000 - 90000 = 10000 left
    assert passes(MinAccountBalanceCheck(), order(quantity), ctx) is ok


@pytest.mark.parametrize(("quantity", "ok"), [("100", True), ("100.01", False)])
def test_max_order_value_at_the_edge(quantity, ok):
    assert passes(MaxOrderValueCheck(), order(quantity), context(limits={"max_order_value": D("10000")})) is ok


def test_protective_exits_are_exempt_from_max_order_value():
    ctx = context(limits={"max_order_value": D("100")}, holdings=(holding(quantity="50"),), source=OrderSource.MONITOR)
    assert passes(MaxOrderValueCheck(), order("50", side="sell"), ctx)
    manual = context(limits={"max_order_value": D("100")}, holdings=(holding(quantity="50"),))
    assert not passes(MaxOrderValueCheck(), order("50", side="sell"), manual)


@pytest.mark.parametrize(("quantity", "ok"), [("10", True), ("10.01", False)])
def test_max_position_size_percent_at_the_edge(quantity, ok):
    ctx = context(limits={"max_position_size_percent": D("2")}, holdings=(holding(quantity="10"),))
    assert passes(MaxPositionSizeCheck(), order(quantity), ctx) is ok  # 1000 held + 1000 = 2% of 100000


@pytest.mark.parametrize(("quantity", "ok"), [("40", True), ("40.01", False)])
def test_absolute_position_value_cap_at_the_edge(quantity, ok):
    ctx = context(limits={"max_position_value": D("5000")}, holdings=(holding(quantity="10"),))
    assert passes(MaxPositionValueCheck(), order(quantity), ctx) is ok


@pytest.mark.parametrize(("contracts", "ok"), [("1", True), ("2", False)])
def test_concentration_counts_an_underlyings_shares_and_options_together(contracts, ok):
    ctx = context(price=D("20"), limits={"max_symbol_concentration_percent": D("5")},
                  holdings=(holding("SPY", "30", "100"),))  # 3000 of 5000 allowed
    request = order(contracts, symbol=OPTION, asset_class=AssetClass.OPTION)  # 2000 a contract
    assert passes(SymbolConcentrationCheck(), request, ctx) is ok


@pytest.mark.parametrize(("quantity", "ok"), [("50", True), ("50.01", False)])
def test_capital_at_risk_counts_positions_open_orders_and_this_order(quantity, ok):
    ctx = context(limits={"max_capital_at_risk_percent": D("10")}, holdings=(holding("MSFT", "30", "100"),),
                  open_buy_value=D("2000"))  # 3000 + 2000 + 5000 = 10% of 100000
    assert passes(CapitalAtRiskCheck(), order(quantity), ctx) is ok


def test_max_open_positions_counts_positions_our_orders_are_opening():
    ctx = context(limits={"max_open_positions": 3}, holdings=(holding("MSFT"),), symbols_pending_open=frozenset({"SPY"}))
    assert passes(MaxOpenPositionsCheck(), order(symbol="QQQ"), ctx)  # the third
    full = context(limits={"max_open_positions": 2}, holdings=(holding("MSFT"),), symbols_pending_open=frozenset({"SPY"}))
    assert denied_code(MaxOpenPositionsCheck(), order(symbol="QQQ"), full) == "MAX_OPEN_POSITIONS"
    assert passes(MaxOpenPositionsCheck(), order(symbol="MSFT"), full)  # adding to a held symbol opens nothing


@pytest.mark.parametrize(("contracts", "ok"), [("2", True), ("3", False)])
def test_portfolio_delta_cap_at_the_edge(contracts, ok):
    ctx = context(price=D("5"), limits={"max_portfolio_delta": D("200")}, option_greeks=(D("0.5"), D("-0.1"), D("0.2")),
                  holdings=(holding("SPY", "100"),))  # 100 shares = delta 100; each contract adds 50
    assert passes(PortfolioGreeksCheck(), order(contracts, symbol=OPTION, asset_class=AssetClass.OPTION), ctx) is ok


def test_greek_caps_deny_when_greeks_are_unknown():
    ctx = context(price=D("5"), limits={"max_portfolio_vega": D("1000")}, option_greeks=None)
    assert denied_code(PortfolioGreeksCheck(), order("1", symbol=OPTION, asset_class=AssetClass.OPTION), ctx) == "GREEKS_UNAVAILABLE"


# --- activity and losses -----------------------------------------------------------------------------


@pytest.mark.parametrize(("done", "ok"), [(4, True), (5, False)])
def test_max_trades_per_day_at_the_edge(done, ok):
    ctx = context(limits={"max_trades_per_day": 5}, recent_orders=tuple(recent(3600 + n) for n in range(done)))
    assert passes(MaxTradesPerDayCheck(), order(), ctx) is ok


@pytest.mark.parametrize(("done", "ok"), [(2, True), (3, False)])
def test_max_orders_per_minute_only_counts_the_last_sixty_seconds(done, ok):
    orders = tuple(recent(10 + n) for n in range(done)) + (recent(61), recent(3000))
    ctx = context(limits={"max_orders_per_minute": 3}, recent_orders=orders)
    assert passes(MaxOrdersPerMinuteCheck(), order(), ctx) is ok


@pytest.mark.parametrize(("equity", "ok"), [("95000", True), ("94999.99", False)])
def test_daily_loss_percent_at_the_edge(equity, ok):
    account = context().account.__class__("a", "USD", D(equity), D(equity), D(equity))
    ctx = context(account=account, day_start_equity=D("100000"), limits={"max_daily_loss_percent": D("5")})
    assert passes(DailyLossCheck(), order(), ctx) is ok


@pytest.mark.parametrize(("equity", "ok"), [("98000", True), ("97999.99", False)])
def test_daily_loss_absolute_at_the_edge(equity, ok):
    account = context().account.__class__("a", "USD", D(equity), D(equity), D(equity))
    ctx = context(account=account, day_start_equity=D("100000"), limits={"max_daily_loss_amount": D("2000")})
    result = verdict(DailyLossCheck(), order(), ctx)
    assert (result.outcome == Outcome.PASS) is ok
    if not ok:
        assert result.details["form"] == "absolute"


@pytest.mark.parametrize(("equity", "ok"), [("90000", True), ("89999.99", False)])
def test_weekly_loss_percent_at_the_edge(equity, ok):
    account = context().account.__class__("a", "USD", D(equity), D(equity), D(equity))
    ctx = context(account=account, week_start_equity=D("100000"), limits={"max_weekly_loss_percent": D("10")})
    assert passes(WeeklyLossCheck(), order(), ctx) is ok


@pytest.mark.parametrize(("equity", "ok"), [("96000", True), ("95999.99", False)])
def test_weekly_loss_absolute_at_the_edge(equity, ok):
    account = context().account.__class__("a", "USD", D(equity), D(equity), D(equity))
    ctx = context(account=account, week_start_equity=D("100000"), limits={"max_weekly_loss_amount": D("4000")})
    result = WeeklyLossCheck().evaluate(order(), ctx)
    assert (result.outcome == Outcome.PASS) is ok
    if not ok:
        assert (result.code, result.details["form"]) == ("WEEKLY_LOSS_LIMIT", "absolute")


def test_a_loss_breach_still_lets_positions_be_closed():
    account = context().account.__class__("a", "USD", D("50000"), D("50000"), D("50000"))
    ctx = context(account=account, day_start_equity=D("100000"), limits={"max_daily_loss_percent": D("5")},
                  holdings=(holding(quantity="10"),))
    assert passes(DailyLossCheck(), order("10", side="sell"), ctx)


def test_the_same_order_again_within_the_window_asks_for_confirmation():
    ctx = context(recent_orders=(recent(59, quantity="10"),))
    result = verdict(DuplicateOrderCheck(), order("10"), ctx)
    assert (result.outcome, result.code) == (Outcome.CONFIRM, "POSSIBLE_DUPLICATE")
    assert passes(DuplicateOrderCheck(), order("11"), ctx)
    assert passes(DuplicateOrderCheck(), order("10"), context(recent_orders=(recent(61, quantity="10"),)))


@pytest.mark.parametrize(("quantity", "confirm"), [("50", False), ("50.01", True)])
def test_large_live_orders_need_totp_confirmation(quantity, confirm):
    result = verdict(LargeLiveOrderCheck(), order(quantity), context(is_live=True))  # threshold 5000
    assert (result.outcome == Outcome.CONFIRM) is confirm
    assert result.needs_totp is confirm
    assert passes(LargeLiveOrderCheck(), order("5000"), context(is_live=False))


def test_the_engine_runs_every_check_and_keeps_every_answer():
    ctx = context(trading_mode=TradingMode.HALTED, limits={"max_order_value": D("1")})
    results = RiskEngine().run(order(), ctx)
    assert [r.check for r in results] == [c.name for c in RISK_CHECKS]
    denied = {r.verdict.code for r in results if r.verdict.outcome == Outcome.DENY}
    assert {"TRADING_HALTED", "MAX_ORDER_VALUE"} <= denied
    assert results[0].as_dict() == {"check": "trading_state", "outcome": "deny", "code": "TRADING_HALTED",
                                    "details": {"mode": "halted"}}


def test_check_names_are_unique():
    names = [check.name for check in RISK_CHECKS]
    assert len(names) == len(set(names))
