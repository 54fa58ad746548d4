"""Where covers' sized copies are kept: one small interface, a folder on local disk behind it.

An object store (S3, OSS, MinIO) is another class with the same four methods, chosen in
`cover_storage()`; nothing else in the app knows where the bytes live.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

from eventsite.posters.rules import is_copy_name


class CoverStorage(Protocol):
    """Keeps the files of covers' copies by name (`rules.copy_name`)."""

    def save(self, name: str, data: bytes) -> None: ...

    def open(self, name: str) -> bytes | None: ...

    def delete(self, name: str) -> None: ...

    def exists(self, name: str) -> bool: ...


class LocalCoverStorage:
    """Copies as files in one folder (created 0750 if missing; each file 0640, written whole
    or not at all, so a reader never sees half a picture)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        # Names come from the database or a URL: only a copy's exact pattern becomes a path.
        if not is_copy_name(name):
            raise ValueError("not a cover copy's name")
        return self.folder / name

    def save(self, name: str, data: bytes) -> None:
        path = self._path(name)
        self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o640)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()


def cover_storage() -> CoverStorage:
    """The app's cover storage: the folder POSTER_DIR (the one place that chooses)."""
    return LocalCoverStorage(current_app.config["POSTER_DIR"])
