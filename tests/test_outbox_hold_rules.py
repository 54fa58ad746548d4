"""The outbox hold's rules and the backups' naming and rotation rules, edge by edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from eventsite.backups import rules as backup_rules
from eventsite.extensions import db
from eventsite.outbox import rules
from eventsite.outbox import service as hold
from eventsite.sms.models import SmsMessage
from eventsite.sms.rules import ALWAYS_SENT, SmsKind

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


# --- identity -----------------------------------------------------------------------------


def test_a_database_that_recorded_nothing_yet_is_no_copy():
    assert rules.identity_changed(None, "postgresql:1:2:3") is False
    assert rules.identity_changed(None, rules.SQLITE_IDENTITY) is False


def test_the_same_identity_is_the_same_database():
    assert rules.identity_changed("postgresql:1:2:3", "postgresql:1:2:3") is False
    assert rules.identity_changed(rules.SQLITE_IDENTITY, rules.SQLITE_IDENTITY) is False


@pytest.mark.parametrize(
    "recorded, live",
    [
        # pg_restore into a database of the same name: the table's oid differs.
        ("postgresql:7:16384:16500", "postgresql:7:16384:16911"),
        # a new database (drop/create): its oid differs.
        ("postgresql:7:16384:16500", "postgresql:7:20001:16500"),
        # another cluster.
        ("postgresql:7:16384:16500", "postgresql:8:16384:16500"),
        # a role that may not read the system identifier after one that could.
        ("postgresql:7:16384:16500", "postgresql:-:16384:16500"),
        # a SQLite copy written by `flask backup`, put back.
        (rules.copy_mark(T0), rules.SQLITE_IDENTITY),
        # a PostgreSQL database's data loaded into SQLite, or the other way round.
        ("postgresql:7:16384:16500", rules.SQLITE_IDENTITY),
        (rules.SQLITE_IDENTITY, "postgresql:7:16384:16500"),
    ],
)
def test_any_difference_is_a_restore_or_copy(recorded, live):
    assert rules.identity_changed(recorded, live) is True


def test_postgres_identity_names_every_part():
    assert rules.postgres_identity("7716272729699256465", 5, 16384) == (
        "postgresql:7716272729699256465:5:16384"
    )
    assert rules.postgres_identity(None, 5, 16384) == "postgresql:-:5:16384"


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_copy_mark_is_never_a_live_identity(moment):
    mark = rules.copy_mark(moment)
    assert mark != rules.SQLITE_IDENTITY
    assert not mark.startswith("postgresql:")
    assert rules.identity_changed(mark, rules.SQLITE_IDENTITY)


# --- held or not ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "held_since, released_at, held",
    [
        (None, None, False),  # never held
        (T0, None, True),  # held, not released
        (T0, T0 + timedelta(seconds=1), False),  # released after it began
        (T0, T0, False),  # released the same instant it began
        (T0 + timedelta(hours=1), T0, True),  # a new hold after an old release
    ],
)
def test_is_held(held_since, released_at, held):
    assert rules.is_held(held_since, released_at) is held


def test_mail_leaves_only_without_a_hold():
    assert rules.mail_sendable(None) is True
    assert rules.mail_sendable(T0) is False


@pytest.mark.parametrize("kind", list(SmsKind))
@pytest.mark.parametrize("queued_offset", [-3600, -1, 0, 1, 3600])
def test_while_held_only_fresh_always_sent_texts_leave(kind, queued_offset):
    queued_at = T0 + timedelta(seconds=queued_offset)
    assert rules.sms_sendable(kind, queued_at, None) is True
    expected = kind in ALWAYS_SENT and queued_offset >= 0
    assert rules.sms_sendable(kind, queued_at, T0) is expected


def test_a_verification_code_is_among_what_leaves_while_held():
    assert rules.sms_sendable(SmsKind.CODE, T0, T0) is True
    assert rules.sms_sendable(SmsKind.EVENT_REMINDER, T0, T0) is False


def test_the_sql_condition_says_what_the_rule_says(app):
    """`service.sendable_sms` (what the SMS job claims) agrees with `rules.sms_sendable`."""
    rows = []
    for kind in SmsKind:
        for offset in (-60, 0, 60):
            message = SmsMessage(
                mobile="13800000000",
                kind=str(kind),
                params={},
                body="x",
                created_at=T0 + timedelta(seconds=offset),
                send_after=T0,
            )
            db.session.add(message)
            rows.append(message)
    db.session.flush()
    for since in (None, T0):
        chosen = set(
            db.session.scalars(sa.select(SmsMessage.id).where(hold.sendable_sms(since))).all()
        )
        expected = {m.id for m in rows if rules.sms_sendable(m.kind, m.created_at, since)}
        assert chosen == expected
    db.session.rollback()


# --- backup names and rotation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "label, valid",
    [
        ("nightly", True),
        ("pre-upgrade", True),
        ("v2-3", True),
        ("", False),
        ("Nightly", False),
        ("pre_upgrade", False),
        ("-x", False),
        ("x-", False),
        ("a--b", False),
        ("../etc", False),
        ("a b", False),
        ("x" * 40, True),
        ("x" * 41, False),
    ],
)
def test_valid_label(label, valid):
    assert backup_rules.valid_label(label) is valid


@given(
    st.from_regex(backup_rules.LABEL, fullmatch=True).filter(lambda s: len(s) <= 40),
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2999, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from(["pgdump", "sqlite"]),
)
def test_a_dump_name_gives_back_when_it_was_taken(label, moment, extension):
    name = backup_rules.dump_name(label, moment, extension)
    assert backup_rules.taken_at(name) == moment.replace(microsecond=0)


def test_dump_name_is_in_utc():
    beijing = datetime(2026, 11, 1, 3, 0, 5, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert backup_rules.dump_name("nightly", beijing, "pgdump") == (
        "eventsite-nightly-20261101T030005Z.pgdump"
    )


@pytest.mark.parametrize(
    "name",
    [
        "eventsite.db",
        "notes.txt",
        ".eventsite-nightly-20261101T030005Z.pgdump.partial",
        "eventsite-nightly-20261101T030005Z.pgdump.gz",
        "eventsite-nightly-20261101.pgdump",
        "other-nightly-20261101T030005Z.pgdump",
    ],
)
def test_files_that_are_not_our_dumps_have_no_time(name):
    assert backup_rules.taken_at(name) is None


def test_rotation_removes_only_our_old_dumps_and_never_the_new_one():
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)

    def named(label, age):
        return backup_rules.dump_name(label, now - age, "pgdump")

    written = named("nightly", timedelta(0))
    exactly = named("nightly", timedelta(days=30))
    just_over = named("nightly", timedelta(days=30, seconds=1))
    old_upgrade = named("pre-upgrade", timedelta(days=45))
    recent = named("pre-upgrade", timedelta(days=2))
    names = [written, exactly, just_over, old_upgrade, recent, "notes.txt", "eventsite.db"]
    assert backup_rules.expired(names, now, 30, written) == sorted([just_over, old_upgrade])


def test_rotation_keeps_the_new_dump_even_when_the_clock_says_it_is_old():
    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    written = backup_rules.dump_name("nightly", now - timedelta(days=400), "sqlite")
    assert backup_rules.expired([written], now, 1, written) == []


def test_rotation_of_nothing_is_nothing():
    assert backup_rules.expired([], T0, 30, "x") == []
