"""OCC option symbols: ROOT + YYMMDD + C/P + strike x 1000 as eight digits (SPY140118C00195000)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

# The root may be padded to six characters with spaces in the OSI form; both forms are accepted.
_OCC = re.compile(r"^(?P<root>[A-Z0-9.]{1,6}) *(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
OPTION_MULTIPLIER = Decimal("100")


def contract_multiplier(asset_class) -> Decimal:
    """Units of the underlying per unit traded: 100 shares per option contract, 1 for anything else."""
    return OPTION_MULTIPLIER if asset_class == "option" else Decimal("1")


class OptionRight(StrEnum):
    CALL = "C"
    PUT = "P"


class InvalidOptionSymbol(ValueError):
    """The text is not an OCC option symbol."""


@dataclass(frozen=True)
class OptionSymbol:
    """One listed option contract."""

    root: str
    expiry: date
    right: OptionRight
    strike: Decimal

    @classmethod
    def parse(cls, text: str) -> "OptionSymbol":
        match = _OCC.match((text or "").strip().upper())
        if not match:
            raise InvalidOptionSymbol(f"{text!r} is not an OCC option symbol")
        raw_date = match["date"]
        try:
            expiry = date(2000 + int(raw_date[:2]), int(raw_date[2:4]), int(raw_date[4:]))
        except ValueError:
            raise InvalidOptionSymbol(f"{text!r} has an impossible expiry date") from None
        strike = Decimal(match["strike"]) / 1000
        if strike <= 0:
            raise InvalidOptionSymbol(f"{text!r} has a zero strike")
        return cls(match["root"], expiry, OptionRight(match["right"]), strike.normalize())

    def format(self) -> str:
        """The compact OCC form brokers such as Tradier expect (no padding)."""
        thousandths = self.strike * 1000
        if thousandths != thousandths.to_integral_value():
            raise InvalidOptionSymbol(f"strike {self.strike} has more than three decimals")
        if not 0 < thousandths < 10**8:
            raise InvalidOptionSymbol(f"strike {self.strike} cannot be written in eight digits")
        return f"{self.root}{self.expiry:%y%m%d}{self.right.value}{int(thousandths):08d}"

    def days_to_expiry(self, today: date) -> int:
        return (self.expiry - today).days


def is_option_symbol(text: str) -> bool:
    try:
        OptionSymbol.parse(text)
    except InvalidOptionSymbol:
        return False
    return True
