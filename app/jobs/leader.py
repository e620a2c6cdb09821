"""One leader among schedulers: a PostgreSQL advisory lock, or a file lock on SQLite."""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
# A fixed 63-bit key, so every scheduler of this platform contends for the same lock.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"portcullis-scheduler-leader").digest()[:8], "big") >> 1


class AdvisoryLock:
    """Held for as long as its own database session lives: if the leader dies, PostgreSQL frees it."""

    def __init__(self, database_url: str):
        self._engine = sa.create_engine(database_url, poolclass=NullPool)
        self._connection = None

    def acquire(self) -> bool:
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return bool(self._connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}))
        except sa.exc.DBAPIError:
            self._drop_connection()
            return False

    def still_held(self) -> bool:
        """False once the session that holds the lock is gone (its lock went with it)."""
        if self._connection is None:
            return False
        try:
            return bool(self._connection.scalar(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                        "AND objid = (:key & 4294967295)::oid AND granted"),
                {"key": ADVISORY_KEY},
            ))
        except sa.exc.DBAPIError:
            self._drop_connection()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            except sa.exc.DBAPIError:
                pass
        self._drop_connection()
        self._engine.dispose()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sa.exc.DBAPIError:
                pass
        self._connection = None


class FileLock:
    """An exclusive flock on a file beside the SQLite database; the kernel frees it when the process dies."""

    def __init__(self, path: Path):
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leader_lock_for(database_url: str):
    """The right lock for the database the platform runs on."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(database_url)
    database = Path(url.database or "portcullis.sqlite3")
    return FileLock(database.with_name(database.name + ".scheduler.lock"))
