"""The live board as every viewer gets it: computed once per change of the meet, not per viewer.

Hundreds of open leaderboards (the venue's projector, phones in the stands) each refresh every
few seconds, and almost every refresh would recompute every item's placings and render the same
tables again. So each process keeps the finished board per meet (and per language and length of
the latest-results list) with the meet's *version*: one small query
(`service.board_version`) that changes whenever anything the board shows changes (a result, a
match, an audited organizer, captain or referee action). A refresh runs that query and serves
the kept board while the version is unchanged, so the standings are never older than the data
they show. Changes that are neither results nor audited (a member renaming their own account)
show after at most `MEET_BOARD_CACHE_SECONDS` (default 60); 0 turns the keeping off.

What is kept is the finished output (the HTML fragments and the JSON text), built from the exact
standings (points as fractions, ranked before anything is rounded); nothing kept is summed or
compared again, so keeping a board can never round a total into another order. The JSON carries
each total both as shown ("3.33") and exact ("10/3").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from eventsite.core.time import utcnow

DEFAULT_SECONDS = 60
#: Boards kept per process at most (meets x languages x variants); the oldest goes first.
MAX_KEPT = 32


@dataclass(frozen=True)
class Kept:
    version: Hashable
    built_at: datetime
    value: Any


class BoardCache:
    """Finished boards by key, each valid while its meet's version is unchanged and it is younger
    than the age limit; one thread builds a missing board while the others for it wait."""

    def __init__(self):
        self._kept: dict[Hashable, Kept] = {}
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(
        self,
        key: Hashable,
        version_of: Callable[[], Hashable],
        seconds: float,
        build: Callable[[], Any],
    ):
        """The kept value for `key` if `version_of()` still matches it, else a new `build()`."""
        if seconds <= 0:
            return build()
        version = version_of()
        kept = self._fresh(key, version, seconds)
        if kept is not None:
            return kept.value
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            kept = self._fresh(key, version, seconds)  # built by another thread meanwhile
            if kept is not None:
                return kept.value
            value = build()
            with self._lock:
                self._kept.pop(key, None)
                while len(self._kept) >= MAX_KEPT:
                    self._kept.pop(next(iter(self._kept)))
                self._kept[key] = Kept(version, utcnow(), value)
            return value

    def _fresh(self, key, version, seconds) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or kept.version != version:
            return None
        if utcnow() - kept.built_at >= timedelta(seconds=seconds):
            return None
        return kept


def board_cache() -> BoardCache:
    """This app's cache (one per app, so tests and apps never share boards)."""
    cache = current_app.extensions.get("sportsmeet.board_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("sportsmeet.board_cache", BoardCache())
    return cache


def kept_seconds() -> float:
    """How long a board may be kept at most (MEET_BOARD_CACHE_SECONDS, see config.py)."""
    return float(current_app.config.get("MEET_BOARD_CACHE_SECONDS", DEFAULT_SECONDS))
