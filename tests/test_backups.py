"""`flask backup`: private dumps in a folder it creates, rotated, with clear failures."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from eventsite.backups import rules, service
from eventsite.core.time import utcnow
from eventsite.outbox import rules as hold_rules
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.usefixtures("clock")


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["backup", *args])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_is_created_private_and_the_dump_is_0600(app, tmp_path):
    folder = tmp_path / "nested" / "backups"
    result = invoke(app, "--dir", str(folder))
    assert result.exit_code == 0, result.output
    [dump] = list(folder.iterdir())
    assert mode(folder) == 0o700
    assert mode(dump) == 0o600
    assert rules.taken_at(dump.name) == utcnow().replace(microsecond=0)
    assert dump.name.startswith("eventsite-nightly-")
    assert f"Wrote {dump}" in result.output


def test_the_dump_is_private_whatever_the_umask(app, tmp_path):
    previous = os.umask(0o002)
    try:
        result = invoke(app, "--dir", str(tmp_path / "b"), "--label", "pre-upgrade")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    [dump] = list((tmp_path / "b").iterdir())
    assert dump.name.startswith("eventsite-pre-upgrade-")
    assert mode(dump) == 0o600
    assert os.umask(previous) == previous  # the command gave the umask back


def test_the_default_folder_is_the_setting(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "configured")
    assert invoke(app).exit_code == 0
    assert len(list((tmp_path / "configured").iterdir())) == 1


def test_rotation_removes_old_dumps_keeps_the_new_one_and_other_files(app, tmp_path, clock):
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o700)
    old = folder / rules.dump_name("nightly", clock.now - timedelta(days=31), "sqlite")
    kept = folder / rules.dump_name("pre-upgrade", clock.now - timedelta(days=29), "sqlite")
    notes = folder / "README.txt"
    for path in (old, kept, notes):
        path.write_text("x")
    result = invoke(app, "--dir", str(folder), "--keep-days", "30")
    assert result.exit_code == 0, result.output
    assert not old.exists()
    assert kept.exists() and notes.exists()
    assert f"Removed {old}" in result.output
    assert len([p for p in folder.iterdir() if rules.taken_at(p.name)]) == 2


def test_keep_days_comes_from_the_setting(app, tmp_path, clock):
    app.config["BACKUP_KEEP_DAYS"] = 2
    folder = tmp_path / "backups"
    folder.mkdir()
    three_days = folder / rules.dump_name("nightly", clock.now - timedelta(days=3), "sqlite")
    three_days.write_text("x")
    assert invoke(app, "--dir", str(folder)).exit_code == 0
    assert not three_days.exists()


def test_a_bad_label_is_refused_and_nothing_is_written(app, tmp_path):
    result = invoke(app, "--dir", str(tmp_path / "b"), "--label", "../x")
    assert result.exit_code != 0
    assert "lowercase letters" in result.output
    assert not (tmp_path / "b").exists() or list((tmp_path / "b").iterdir()) == []


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite copy")
def test_a_sqlite_copy_is_marked_as_a_copy(app, tmp_path):
    assert invoke(app, "--dir", str(tmp_path)).exit_code == 0
    [dump] = list(tmp_path.glob("eventsite-*.sqlite"))
    with sqlite3.connect(dump) as copy:
        [(identity,)] = copy.execute("SELECT database_identity FROM outbox_hold").fetchall()
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert identity.startswith("backup copy taken ")
    assert hold_rules.identity_changed(identity, hold_rules.SQLITE_IDENTITY)


def test_a_missing_pg_dump_is_named_with_its_package(monkeypatch, tmp_path):
    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    with pytest.raises(service.BackupError, match="postgresql-client"):
        service.write_backup(
            "postgresql+psycopg://eventsite@127.0.0.1/eventsite",
            tmp_path / "b",
            label="nightly",
            keep_days=30,
            now=utcnow(),
        )
    assert list((tmp_path / "b").iterdir()) == []  # no half-written dump is left behind


def test_a_failing_pg_dump_is_an_error_with_its_message(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "pg_dump: error: connection refused" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(service.BackupError, match="exit status 1.*connection refused"):
        service.write_backup(
            "postgresql+psycopg://eventsite:secret@127.0.0.1/eventsite",
            tmp_path / "b",
            label="nightly",
            keep_days=30,
            now=utcnow(),
        )
    assert list((tmp_path / "b").iterdir()) == []


def test_pg_dump_gets_a_libpq_url_and_the_password_only_in_its_environment(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    # Records its arguments and PGPASSWORD, then writes a "dump" where --file says.
    fake.write_text(
        '#!/bin/sh\necho "$@" > "$RECORD"\necho "$PGPASSWORD" >> "$RECORD"\n'
        'while [ "$1" != "--file" ]; do shift; done\necho dump > "$2"\n'
    )
    fake.chmod(0o755)
    record = tmp_path / "record.txt"
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RECORD", str(record))
    outcome = service.write_backup(
        "postgresql+psycopg://eventsite:s3cret@db.internal:5433/eventsite?sslmode=require",
        tmp_path / "b",
        label="nightly",
        keep_days=30,
        now=utcnow(),
    )
    arguments, password = record.read_text().splitlines()
    assert "--format=custom" in arguments
    assert "postgresql://eventsite@db.internal:5433/eventsite?sslmode=require" in arguments
    assert "s3cret" not in arguments
    assert password == "s3cret"
    assert outcome.path.suffix == ".pgdump" and mode(outcome.path) == 0o600


def test_the_command_reports_a_failure_with_a_non_zero_exit(app, monkeypatch, tmp_path):
    def fail(*args, **kwargs):
        raise service.BackupError("pg_dump was not found on the PATH.")

    monkeypatch.setattr("eventsite.backups.cli.write_backup", fail)
    result = invoke(app, "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "Error: pg_dump was not found" in result.output


def test_a_folder_that_cannot_be_created_is_a_clear_error(app, tmp_path):
    in_the_way = tmp_path / "backups"
    in_the_way.write_text("a file where the folder should be")
    result = invoke(app, "--dir", str(in_the_way / "nightly"))
    assert result.exit_code == 1
    assert "Cannot create the backup folder" in result.output
    assert "Traceback" not in result.output
