"""Pages kept between requests, never older than the data they show.

A kept page is stored with the *version* of what it shows: a counter per kind of page that
moves on whenever a write to one of the tables the page reads is committed or rolled back (the
session's hooks below see every flush and every ORM UPDATE/DELETE/INSERT statement). A request
reads the counter and the kept page in one round trip and serves the page only while its
version is the counter's and the moment it names (the next time the page changes by the clock
alone: an event starting, a registration window closing) has not come; otherwise it renders the
page and keeps it under the version it read before reading the data, so a change committed
meanwhile is never kept under the newer version.

Where the counters live decides who agrees on them: `redis://` (CACHE_STORAGE_URI) shares them
between every process and machine, so a registration in one worker shows at once in the others;
`memory://` keeps them in the process, right only where one process serves (development, tests);
`none` keeps nothing. A request whose own session holds uncommitted changes to those tables is
never served or kept (it reads what nobody else sees yet). What bypasses the session (an edit in
psql, a restore) shows within CACHE_SECONDS at most; every kept page expires then.

The key carries the release (a digest of the code, templates, translations and static files), so
a new version of the app never serves what an older one rendered.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import ORMExecuteState, Session

from eventsite.core.time import utcnow

log = logging.getLogger(__name__)

EXTENSION = "eventsite.cache"

#: What each kind of kept page reads: a committed write to any of these tables changes it.
WATCHED_TABLES: dict[str, frozenset[str]] = {
    # The public event list: the events, their registrations (places left, the waitlist), their
    # sessions' places, and the organizations it names and filters by.
    "event_list": frozenset(
        {"event", "registration", "event_session", "organization", "organization_link"}
    ),
}
#: Tables whose deleted rows take rows of watched tables with them (ON DELETE CASCADE).
CASCADING_TABLES: dict[str, frozenset[str]] = {"event_list": frozenset({"user"})}

#: Pages kept per process with `memory://` at most; the least recently kept goes first.
MEMORY_ENTRIES = 256
#: The session.info key listing the kinds of page its unfinished transaction has changed.
_CHANGED = "eventsite.cache.changed"


class MemoryStore:
    """Counters and pages in this process (development, tests: one process serves)."""

    def __init__(self, entries: int = MEMORY_ENTRIES):
        self._entries = entries
        self._values: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        # Counters apart from the pages: making room for a page never forgets a version.
        self._counters: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        now = time.monotonic()
        with self._lock:
            found = []
            for key in keys:
                if key in self._counters:
                    found.append(self._counters[key])
                    continue
                kept = self._values.get(key)
                if kept is not None and kept[1] is not None and kept[1] <= now:
                    del self._values[key]
                    kept = None
                found.append(None if kept is None else kept[0])
            return found

    def set(self, key: str, value: bytes, seconds: float | None = None) -> None:
        expires = None if seconds is None else time.monotonic() + seconds
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = (value, expires)
            while len(self._values) > self._entries:
                self._values.popitem(last=False)

    def add(self, key: str, value: bytes) -> None:
        """Set the counter `key` unless it is set."""
        with self._lock:
            self._counters.setdefault(key, value)

    def incr(self, key: str) -> None:
        with self._lock:
            self._counters[key] = str(int(self._counters.get(key, b"0")) + 1).encode()


class RedisStore:
    """Counters and pages in Redis, shared by every process and machine that names it."""

    def __init__(self, url: str):
        import redis

        # Short timeouts: a slow Redis costs a page its keeping, never the page.
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return self._redis.mget(keys)

    def set(self, key: str, value: bytes, seconds: float | None = None) -> None:
        self._redis.set(key, value, px=None if seconds is None else max(int(seconds * 1000), 1))

    def add(self, key: str, value: bytes) -> None:
        self._redis.set(key, value, nx=True)

    def incr(self, key: str) -> None:
        self._redis.incr(key)


def store_for(uri: str) -> MemoryStore | RedisStore | None:
    """The store CACHE_STORAGE_URI names: `redis://…`, `memory://`, or `none` for no keeping."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(uri)
    if uri == "memory://":
        return MemoryStore()
    if uri in ("", "none"):
        return None
    raise ValueError(f"CACHE_STORAGE_URI must be redis://…, memory:// or none, not {uri!r}")


class PageCache:
    """One app's kept pages: its store, its key prefix (its database) and its release.

    The versions are the database's, shared by every release and host that serves it (hosts
    installed apart have different release digests, yet a change made through one must show on
    all); the pages are the release's own (an older release never serves a newer one's page)."""

    def __init__(self, store, prefix: str, seconds: float, release: str = ""):
        self.store = store
        self.prefix = prefix
        self.seconds = seconds
        self.release = release

    def version_key(self, name: str) -> str:
        return f"{self.prefix}:version:{name}"

    def kept(self, name: str, key: str, build: Callable[[], tuple[str, datetime | None]]) -> str:
        """The page `build()` renders, or the one kept for (`name`, `key`) while it is current.
        `build` returns the page and the moment it changes by the clock alone (None: never)."""
        version_key = self.version_key(name)
        page_key = f"{self.prefix}:{self.release}:{name}:{key}"
        try:
            version, entry = self.store.get_many([version_key, page_key])
            if version is None:  # new, or lost with Redis: begin where no old page can match
                self.store.add(version_key, str(secrets.randbits(62)).encode())
        except Exception:  # redis raises several families; each means "not reachable now"
            log.warning("page cache unreachable; rendering %s", name, exc_info=True)
            return build()[0]
        if version is not None and entry is not None:
            found = _unpack(entry, version, utcnow())
            if found is not None:
                return found
        page, changes_at = build()
        if version is None:
            return page
        seconds = self.seconds
        if changes_at is not None:
            seconds = min(seconds, (changes_at - utcnow()).total_seconds())
        if seconds > 0:
            try:
                self.store.set(page_key, _pack(version, changes_at, page), seconds)
            except Exception:
                log.warning("page cache unreachable; %s not kept", name, exc_info=True)
        return page

    def bump(self, names: Iterable[str]) -> None:
        for name in names:
            try:
                self.store.incr(self.version_key(name))
            except Exception:
                # Pages kept meanwhile expire within CACHE_SECONDS.
                log.error("page cache unreachable; %s may show old data", name, exc_info=True)


def _pack(version: bytes, changes_at: datetime | None, page: str) -> bytes:
    until = changes_at.isoformat().encode() if changes_at is not None else b""
    return version + b"\n" + until + b"\n" + page.encode()


def _unpack(entry: bytes, version: bytes, now: datetime) -> str | None:
    """The kept page if it was kept under `version` and its moment of change has not come."""
    kept_version, until, page = entry.split(b"\n", 2)
    if kept_version != version:
        return None
    if until and datetime.fromisoformat(until.decode()) <= now:
        return None
    return page.decode()


def current() -> PageCache | None:
    """This app's page cache, unless it keeps nothing or this request's session holds
    uncommitted changes to what a kept page shows."""
    from eventsite.extensions import db

    cache = current_app.extensions.get(EXTENSION)
    if cache is None or db.session().info.get(_CHANGED):
        return None
    return cache


@functools.cache
def release_digest(folders: tuple[Path, ...]) -> str:
    """A digest of every file's name, size and modification time under `folders`: it changes
    with each new release of the code, templates, translations or static files (which starts
    new processes: each process computes it once)."""
    digest = hashlib.sha256()
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                stat = os.stat(os.path.join(root, name))
                digest.update(f"{root}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def init_app(app: Flask, folders: Iterable[Path]) -> None:
    """Give `app` its page cache (CACHE_STORAGE_URI) and watch the session's writes."""
    store = store_for(app.config["CACHE_STORAGE_URI"])
    if store is None:
        return
    database = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
        hide_password=True
    )
    # Apps on other databases share the store but no version and no page; apps of another
    # release share the versions but no page.
    prefix = "eventsite:pages:" + hashlib.sha256(database.encode()).hexdigest()[:12]
    app.extensions[EXTENSION] = PageCache(
        store,
        prefix,
        float(app.config["CACHE_SECONDS"]),
        release=release_digest(tuple(folders)),
    )
    _watch_sessions()


def changed_by(tables: Iterable[str], deleted: Iterable[str] = ()) -> set[str]:
    """The kinds of kept page that writes to `tables` and deletions from `deleted` change."""
    tables, deleted = set(tables), set(deleted)
    return {
        name
        for name, watched in WATCHED_TABLES.items()
        if watched & (tables | deleted) or CASCADING_TABLES.get(name, frozenset()) & deleted
    }


def _note(session: Session, names: set[str]) -> None:
    if names:
        session.info.setdefault(_CHANGED, set()).update(names)


def _table_of(instance) -> str:
    return sa.inspect(instance).mapper.persist_selectable.name


def _after_flush(session: Session, _flush_context) -> None:
    written = {_table_of(obj) for obj in (*session.new, *session.dirty)}
    _note(session, changed_by(written, {_table_of(obj) for obj in session.deleted}))


#: A textual statement's verb and table: `UPDATE registration SET …`, `DELETE FROM "user" …`.
_TEXT_WRITE = re.compile(r'\s*(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


def _on_execute(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, sa.TextClause):
        match = _TEXT_WRITE.match(statement.text)
        if match is None:
            return
        verb, name = match.group(1).upper(), match.group(2)
        deleting = verb.startswith("DELETE")
    elif state.is_insert or state.is_update or state.is_delete:
        name = getattr(getattr(statement, "table", None), "name", None)
        deleting = state.is_delete
    else:
        return
    if name is not None:
        _note(state.session, changed_by([name], [name] if deleting else []))


def _after_end(session: Session) -> None:
    """After a commit or a rollback: move on the versions of what the transaction changed.
    A savepoint's end is not the transaction's (SQLAlchemy reports both): what it changed
    waits for the outermost commit or rollback, or a page rendered meanwhile from the old
    data would be kept under the new version."""
    if session.in_nested_transaction():
        return
    names = session.info.pop(_CHANGED, None)
    if names and has_app_context():
        cache = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.bump(sorted(names))


_watching = False


def _watch_sessions() -> None:
    """Listen on the app's sessions (one scoped session serves every app in the process)."""
    global _watching
    if _watching:
        return
    from eventsite.extensions import db

    sa.event.listen(db.session, "after_flush", _after_flush)
    sa.event.listen(db.session, "do_orm_execute", _on_execute)
    sa.event.listen(db.session, "after_commit", _after_end)
    sa.event.listen(db.session, "after_rollback", _after_end)
    _watching = True
