"""Settings of a serving process as a whole."""

from __future__ import annotations

import gc

#: Allocations (less deallocations) between two collections of the youngest generation; the
#: older two are collected after this many collections of the one below (Python's defaults:
#: 700, 10, 10).
COLLECTION_THRESHOLDS = (50_000, 20, 100)


def settle_after_loading() -> None:
    """Call once the app is loaded (wsgi.py). What it loaded (modules, routes, templates,
    catalogs: some 400,000 objects) lives as long as the process: keep it out of every later
    garbage collection, and collect the young generation less often. A request makes many
    short-lived objects (a ranking of 720 contestants some hundred thousand); with the defaults
    about half of such a request's CPU went to the collector walking what the app had loaded
    (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTION_THRESHOLDS)
