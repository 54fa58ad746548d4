"""The outbox hold's rules: when a database is a restored copy, and what may leave while held.

Each rule is a pure function; `service` reads the values they judge and applies them.
"""

from __future__ import annotations

from datetime import datetime

from eventsite.sms.rules import ALWAYS_SENT

#: The hold's reason when a job found the database's identity changed.
RESTORED = "database restored or copied"
#: The hold's reason when an operator entered it with `flask outbox hold`.
HELD_BY_HAND = "held by an operator"
#: What `flask outbox release --discard` writes on every message it discards.
DISCARDED = "discarded after a restore, never sent"
#: Who released a hold from the command line, as the hold's row records it.
COMMAND_LINE = "command line"
#: The identity of a live SQLite database: SQLite has none of its own, so every live file
#: shares it; what tells a copy apart is the mark `flask backup` leaves in it (`copy_mark`).
SQLITE_IDENTITY = "sqlite"


def postgres_identity(system_identifier: str | None, database_oid: int, table_oid: int) -> str:
    """A PostgreSQL database's identity: its cluster's system identifier (when the role may read
    it), the database's oid and the outbox_hold table's oid, which pg_restore never keeps."""
    return f"postgresql:{system_identifier or '-'}:{database_oid}:{table_oid}"


def copy_mark(taken_at: datetime) -> str:
    """The identity `flask backup` writes into a SQLite copy: no live database ever has it."""
    return f"backup copy taken {taken_at.isoformat(timespec='seconds')}"


def identity_changed(recorded: str | None, live: str) -> bool:
    """A database is a restored or copied one iff it recorded an identity that is not its own."""
    return recorded is not None and recorded != live


def is_held(held_since: datetime | None, released_at: datetime | None) -> bool:
    """Outgoing messages are held iff a hold began and no operator has released it since."""
    return held_since is not None and (released_at is None or released_at < held_since)


def mail_sendable(held_since: datetime | None) -> bool:
    """Mail leaves only when no hold lasts: any mail might repeat one the lost hours sent."""
    return held_since is None


def sms_sendable(kind: str, queued_at: datetime, held_since: datetime | None) -> bool:
    """While held, a text leaves only if it is of an always-sent kind (a verification code) and
    was queued since the hold began: a member signing in now needs their code now."""
    if held_since is None:
        return True
    return kind in ALWAYS_SENT and queued_at >= held_since
