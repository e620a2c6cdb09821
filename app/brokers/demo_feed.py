"""A deterministic, clearly labelled demo price feed for development without broker keys.

Prices are a pure function of the symbol and the minute: the same everywhere, moving a little
through the day, so a local paper account has something to fill against. Production refuses it.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from app.domain.broker_types import Quote
from app.domain.options import is_option_symbol

SOURCE_NAME = "demo"
CENT = Decimal("0.01")


def _seed(symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")


def demo_quote(symbol: str, now: datetime) -> Quote:
    """The demo quote of `symbol` at `now` (to the minute)."""
    seed = _seed(symbol)
    base = Decimal(1 + seed % 2000) / 100 if is_option_symbol(symbol) else Decimal(20 + seed % 500)
    minute = int(now.timestamp() // 60)
    phase = (seed % 360) * math.pi / 180
    # About one percent of drift around the base over a trading day's 390 minutes.
    move = Decimal(str(round(math.sin(2 * math.pi * minute / 390 + phase) / 100, 6)))
    last = (base * (1 + move)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    spread = max(CENT, (last / 2000).quantize(CENT))
    return Quote(symbol, last - spread, last + spread, last, now.replace(second=0, microsecond=0))


def demo_quotes(symbols: list[str], now: datetime) -> dict[str, Quote]:
    return {symbol: demo_quote(symbol, now) for symbol in symbols}
