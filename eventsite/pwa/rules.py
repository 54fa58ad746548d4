"""What the service worker keeps; no Flask, no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import PurePosixPath

#: The static files precached: what every page loads or may load (styles, scripts, icons).
PRECACHED_SUFFIXES = frozenset({".css", ".js", ".svg", ".ico", ".png", ".webp", ".woff2"})

#: Every cache the worker makes starts with this; activate deletes the others that do.
CACHE_PREFIX = "eventsite-"


def precached(filenames: Iterable[str]) -> list[str]:
    """The static files (paths inside static/) the worker precaches: those with a precached
    suffix, none hidden, in a stable order."""
    kept = []
    for name in filenames:
        path = PurePosixPath(name)
        if path.suffix.lower() in PRECACHED_SUFFIXES and not any(
            part.startswith(".") for part in path.parts
        ):
            kept.append(name)
    return sorted(kept)


def cache_name(urls: Iterable[str]) -> str:
    """The cache's name: changes whenever a precached URL does (each carries its file's content
    hash), so an upgrade's worker starts a new cache and deletes the old one."""
    digest = hashlib.sha256(json.dumps(list(urls)).encode()).hexdigest()[:12]
    return f"{CACHE_PREFIX}{digest}"
