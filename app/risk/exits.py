"""When a position's own exit rules fire: pure functions of the position, its mark and the trading day."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.domain.options import InvalidOptionSymbol, OptionSymbol


@dataclass(frozen=True)
class ExitRules:
    """A position as the monitor sees it: signed quantity and the exits its owner set."""

    symbol: str
    quantity: Decimal
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trailing_stop_percent: Decimal | None = None
    # The best price seen since the trailing stop was set: the high for a long, the low for a short.
    extreme: Decimal | None = None


@dataclass(frozen=True)
class ExitSignal:
    rule: str  # expiry, stop_loss, trailing_stop, take_profit
    trigger: Decimal | str  # the level or date that fired, part of the exit's idempotency key


def updated_extreme(rules: ExitRules, mark: Decimal) -> Decimal | None:
    """The trailing stop's reference after seeing `mark`."""
    if rules.trailing_stop_percent is None:
        return None
    if rules.extreme is None:
        return mark
    return max(rules.extreme, mark) if rules.quantity > 0 else min(rules.extreme, mark)


def exit_signal(rules: ExitRules, mark: Decimal, today: date, exit_days_to_expiry: int) -> ExitSignal | None:
    """The first rule that fires, in order of urgency: expiry, stop-loss, trailing stop, take-profit."""
    try:
        expiry = OptionSymbol.parse(rules.symbol).expiry
    except InvalidOptionSymbol:
        expiry = None
    if expiry is not None and (expiry - today).days <= exit_days_to_expiry:
        return ExitSignal("expiry", expiry.isoformat())
    long = rules.quantity > 0
    if rules.stop_loss is not None and (mark <= rules.stop_loss if long else mark >= rules.stop_loss):
        return ExitSignal("stop_loss", rules.stop_loss)
    extreme = updated_extreme(rules, mark)
    if extreme is not None:
        fraction = rules.trailing_stop_percent / 100
        level = extreme * (1 - fraction) if long else extreme * (1 + fraction)
        if mark <= level if long else mark >= level:
            return ExitSignal("trailing_stop", extreme)
    if rules.take_profit is not None and (mark >= rules.take_profit if long else mark <= rules.take_profit):
        return ExitSignal("take_profit", rules.take_profit)
    return None
