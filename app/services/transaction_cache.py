"""Rows read once per database transaction: one order reads the same quotes and account several times."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

_KEY = "transaction_cache"


def transaction_cache(name: str) -> dict:
    """A dict that lives as long as the session's current transaction and starts empty in the next.

    A transaction sees what it first read, as it would under repeatable read: under a row lock nobody
    else changes it, and without one a check is no worse off with the value it saw earlier in the same
    transaction. Whoever writes a cached row in the same transaction updates or clears the cache, and
    rolling back to a savepoint clears all of it.
    """
    session = db.session()
    if session.get_transaction() is None:
        session.connection()  # begin now, so the cache belongs to the transaction its reads run in
    transaction = session.get_transaction()
    held = session.info.get(_KEY)
    if held is None or held[0] is not transaction:
        # Holding the transaction keeps it alive, so a later transaction can never be mistaken for it.
        held = session.info[_KEY] = (transaction, {})
    return held[1].setdefault(name, {})


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    # A savepoint's rollback undoes its writes and releases its row locks while the outer transaction
    # goes on: nothing read or written since may be trusted from the cache.
    session.info.pop(_KEY, None)
