"""INSERT ... ON CONFLICT for whichever database the session is on: PostgreSQL, or SQLite locally."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db


def conflict_insert(model):
    """An insert into `model` that supports on_conflict_do_nothing / on_conflict_do_update."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)
