"""Static URLs carry a hash of the file's content: `url_for('static', filename='css/site.css')`
gives `/static/css/site.css?v=3f2a9c1b7d`.

nginx lets phones keep /static/ for 7 days (docs/deployment.md); with the hash in the URL an
upgrade changes the URL of every file whose content changed, so every phone fetches the new CSS
and JavaScript at its next page, while an unchanged file keeps its URL and stays cached. Each
file is hashed once per process; in debug (the development server) a file whose size or
modification time changed is hashed again, so an edit shows at the next reload.
"""

from __future__ import annotations

import hashlib
import os
import threading

from flask import Flask
from werkzeug.security import safe_join

#: Hex digits of the SHA-256 kept in the URL: enough that two versions of a file never share one.
VERSION_LENGTH = 10


def content_version(content: bytes) -> str:
    """The version a file's content gives its URL: the start of its SHA-256, in hex."""
    return hashlib.sha256(content).hexdigest()[:VERSION_LENGTH]


class StaticVersions:
    """The content version of each static file, hashed once and remembered."""

    def __init__(self, app: Flask):
        self.app = app
        #: filename → ((size, mtime_ns), version)
        self._known: dict[str, tuple[tuple[int, int], str]] = {}
        self._lock = threading.Lock()

    def version(self, filename: str) -> str | None:
        """`filename`'s version, or None when it is no file in the static folder (its URL then
        stays as it is, and the request for it is the static route's 404)."""
        known = self._known.get(filename)
        if known is not None and not self.app.debug:
            return known[1]
        folder = self.app.static_folder
        path = safe_join(folder, filename) if folder else None
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if not os.path.isfile(path):
            return None
        stamp = (stat.st_size, stat.st_mtime_ns)
        if known is not None and known[0] == stamp:
            return known[1]
        with open(path, "rb") as file:
            version = content_version(file.read())
        with self._lock:
            self._known[filename] = (stamp, version)
        return version


def init_app(app: Flask) -> None:
    """Add `?v=<content version>` to every URL built for the `static` endpoint."""
    versions = StaticVersions(app)
    app.extensions["eventsite.static_versions"] = versions

    @app.url_defaults
    def version_static_urls(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        version = versions.version(values["filename"])
        if version is not None:
            values["v"] = version
