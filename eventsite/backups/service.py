"""Writing a backup: a PostgreSQL custom-format dump (pg_dump) or a SQLite copy (its backup API).

The dump is written under a hidden temporary name with umask 077 and renamed when complete, so
a half-written file never looks like a backup and no dump is ever readable by others (0600, in
a folder created 0700). A SQLite copy is marked (`outbox.rules.copy_mark`): put back, it holds
outgoing messages until an operator releases them. A PostgreSQL dump needs no mark: pg_restore
gives every table a new oid, which the scheduler notices (`outbox.service.live_identity`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from eventsite.backups import rules
from eventsite.outbox import rules as hold_rules
from eventsite.outbox.models import HOLD_ROW_ID, OutboxHold

#: Seconds pg_dump may take before the backup is given up.
PG_DUMP_TIMEOUT = 6 * 3600


class BackupError(RuntimeError):
    """The backup could not be written; the message says why and what to do."""


@dataclass
class BackupOutcome:
    path: Path
    size: int
    removed: list[Path] = field(default_factory=list)


@contextmanager
def _private_umask():
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def libpq_uri(database_uri: str) -> tuple[str, str | None]:
    """(the URL pg_dump understands, without password or SQLAlchemy's driver name; the password)."""
    url = sa.make_url(database_uri)
    plain = sa.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), url.password


def _pg_dump(database_uri: str, target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(
            "pg_dump was not found on the PATH. Install the PostgreSQL client of the server's "
            "major version or newer (Debian: apt install postgresql-client) and try again."
        )
    uri, password = libpq_uri(database_uri)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password  # never on the command line, where `ps` shows it
    try:
        finished = subprocess.run(
            [program, "--format=custom", "--file", str(target), "--dbname", uri],
            env=env,
            capture_output=True,
            text=True,
            timeout=PG_DUMP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BackupError(f"pg_dump took longer than {PG_DUMP_TIMEOUT} seconds") from error
    if finished.returncode != 0:
        detail = finished.stderr.strip().splitlines()[-3:] or ["(no message)"]
        raise BackupError(
            f"pg_dump failed (exit status {finished.returncode}): " + " | ".join(detail)
        )


def _sqlite_copy(database_uri: str, target: Path, now: datetime) -> None:
    source_path = sa.make_url(database_uri).database
    if not source_path or source_path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up")
    if not Path(source_path).exists():
        raise BackupError(f"The SQLite database {source_path} does not exist")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        with engine.begin() as connection:
            table = OutboxHold.__table__
            mark = hold_rules.copy_mark(now)
            marked = connection.execute(
                table.update().where(table.c.id == HOLD_ROW_ID).values(database_identity=mark)
            ).rowcount
            if not marked:
                connection.execute(
                    table.insert().values(id=HOLD_ROW_ID, database_identity=mark, recorded_at=now)
                )
    finally:
        engine.dispose()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_backup(
    database_uri: str, directory: Path, *, label: str, keep_days: int, now: datetime
) -> BackupOutcome:
    """Dump the database at `database_uri` into `directory` (created 0700 if missing) as a 0600
    file, then remove our dumps there older than `keep_days` days, never the new one."""
    if not rules.valid_label(label):
        raise BackupError(f"The label {label!r} may hold only lowercase letters, digits and dashes")
    postgres = sa.make_url(database_uri).get_backend_name() == "postgresql"
    name = rules.dump_name(label, now, "pgdump" if postgres else "sqlite")
    final = directory / name
    partial = directory / f".{name}.partial"
    with _private_umask():
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise BackupError(
                f"Cannot create the backup folder {directory}: {error.strerror}. Create it once "
                "as root, owned by the service user with mode 0700, or choose another BACKUP_DIR."
            ) from error
        if final.exists():
            raise BackupError(f"{final} exists already; wait a second and try again")
        try:
            if postgres:
                _pg_dump(database_uri, partial)
            else:
                _sqlite_copy(database_uri, partial, now)
            partial.chmod(0o600)
            _fsync(partial)
            os.replace(partial, final)
            _fsync(directory)
        except (OSError, sqlite3.Error) as error:
            raise BackupError(f"Writing {final} failed: {error}") from error
        finally:
            partial.unlink(missing_ok=True)
    outcome = BackupOutcome(path=final, size=final.stat().st_size)
    for old in rules.expired(os.listdir(directory), now, keep_days, name):
        (directory / old).unlink(missing_ok=True)
        outcome.removed.append(directory / old)
    return outcome
