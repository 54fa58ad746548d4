"""Database wiring: SQLite pragmas and immediate write transactions; which faults pass by
themselves, and running a unit of work again after one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

T = TypeVar("T")

#: False while serving a read-only request (GET/HEAD); everything else on SQLite starts its
#: transaction with BEGIN IMMEDIATE so two writers never both read a count and both act on it.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


def prepare_engine(engine: Engine) -> None:
    """Give SQLite foreign keys, WAL, a busy timeout and immediate write transactions."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


#: PostgreSQL error codes of a fault that passes by itself: lock_not_available (a lock_timeout
#: ran out), query_canceled (a statement_timeout), serialization_failure, deadlock_detected.
TRANSIENT_SQLSTATES = frozenset({"55P03", "57014", "40001", "40P01"})

#: What SQLite says when another writer held the database past its busy timeout.
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")


def transient_fault(error: BaseException) -> bool:
    """A database fault that trying again later can cure: a lock or statement timeout, a
    serialization failure or a deadlock (PostgreSQL), a busy database (SQLite), or no free
    connection in the pool."""
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and str(original).startswith(
        SQLITE_BUSY_MESSAGES
    )


def retry_once(unit: Callable[[], T]) -> T:
    """Run `unit`, a whole request's work ending in its commit; after a transient fault roll
    back and run it once more from the start, so nothing half-done is ever committed. A second
    fault propagates (and becomes the "busy, please try again" page)."""
    from eventsite.extensions import db

    try:
        return unit()
    except (sa.exc.OperationalError, sa.exc.TimeoutError) as error:
        if not transient_fault(error):
            raise
        db.session.rollback()
    return unit()
