"""Database wiring: SQLite pragmas and immediate write transactions, and the event row lock."""

from __future__ import annotations

from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

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
