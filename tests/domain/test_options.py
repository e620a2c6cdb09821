"""OCC option symbols: parsing, formatting and days to expiry."""
from datetime import date
from decimal import Decimal

import pytest

from app.domain.options import InvalidOptionSymbol, OptionRight, OptionSymbol, is_option_symbol


@pytest.mark.parametrize(
    ("text", "root", "expiry", "right", "strike"),
    [
        ("SPY140118C00195000", "SPY", date(2014, 1, 18), OptionRight.CALL, Decimal("195")),
        ("SPY180720C00274000", "SPY", date(2018, 7, 20), OptionRight.CALL, Decimal("274")),
        ("AAPL260320P00172500", "AAPL", date(2026, 3, 20), OptionRight.PUT, Decimal("172.5")),
        ("SPXW  260320C05000000", "SPXW", date(2026, 3, 20), OptionRight.CALL, Decimal("5000")),
        ("f250117p00000500", "F", date(2025, 1, 17), OptionRight.PUT, Decimal("0.5")),
    ],
)
def test_parse(text, root, expiry, right, strike):
    symbol = OptionSymbol.parse(text)
    assert (symbol.root, symbol.expiry, symbol.right, symbol.strike) == (root, expiry, right, strike)


@pytest.mark.parametrize("text", ["SPY140118C00195000", "AAPL260320P00172500", "F250117P00000500"])
def test_format_round_trips(text):
    assert OptionSymbol.parse(text).format() == text


def test_padded_root_formats_compactly():
    assert OptionSymbol.parse("SPXW  260320C05000000").format() == "SPXW260320C05000000"


@pytest.mark.parametrize(
    "text", ["", "AAPL", "SPY140118X00195000", "SPY141318C00195000", "SPY140118C0019500", "SPY140118C00000000",
             "TOOLONGROOT140118C00195000", None],
)
def test_garbage_is_refused(text):
    with pytest.raises(InvalidOptionSymbol):
        OptionSymbol.parse(text)
    assert not is_option_symbol(text)


def test_strikes_that_cannot_be_written_are_refused():
    with pytest.raises(InvalidOptionSymbol):
        OptionSymbol("SPY", date(2026, 1, 16), OptionRight.CALL, Decimal("100.0005")).format()
    with pytest.raises(InvalidOptionSymbol):
        OptionSymbol("SPY", date(2026, 1, 16), OptionRight.CALL, Decimal("100000")).format()


def test_days_to_expiry():
    symbol = OptionSymbol.parse("SPY260320C00500000")
    assert symbol.days_to_expiry(date(2026, 3, 13)) == 7
    assert symbol.days_to_expiry(date(2026, 3, 20)) == 0
