"""Rows read once per database transaction: one order reads the same quotes and account several times."""
from __future__ import annotations

from app.extensions import db


def transaction_cache(name: str) -> dict:
    """A dict that lives as long as the session's current transaction and starts empty in the next.

    What a transaction has read it may read again without a round trip: under a row lock nobody else
    changes it, and without one a check is no worse off with the value it saw a moment ago. Whoever
    writes a cached row in the same transaction updates or clears the cache.
    """
    session = db.session()
    if session.get_transaction() is None:
        session.connection()  # begin now, so the cache belongs to the transaction its reads run in
    transaction = session.get_transaction()
    held = session.info.get(name)
    if held is not None and held[0] is transaction:
        return held[1]
    cache: dict = {}
    # Holding the transaction keeps it alive, so a later transaction can never be mistaken for it.
    session.info[name] = (transaction, cache)
    return cache
