"""File storage for uploads (drawings): bytes live on disk, the database keeps only metadata."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

CHUNK = 1024 * 1024


class FileStorage(Protocol):
    def save(self, stream: BinaryIO, *, max_bytes: int) -> tuple[str, int, str]:
        """Store a stream; return (key, size in bytes, sha256). Raises ValueError if too big."""

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


class LocalFileStorage:
    """Files under one directory, named by random keys (never by user-supplied names)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, *, max_bytes: int) -> tuple[str, int, str]:
        key = secrets.token_hex(20)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        draft = path.with_suffix(".part")
        try:
            with open(draft, "wb") as handle:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ValueError("file too large")
                    digest.update(chunk)
                    handle.write(chunk)
            os.replace(draft, path)
        finally:
            draft.unlink(missing_ok=True)
        return key, size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def init_storage(app: Flask) -> None:
    root = Path(app.config.get("UPLOAD_PATH") or app.config["INSTANCE_PATH"] / "uploads")
    app.extensions["file_storage"] = LocalFileStorage(root)


def file_storage() -> FileStorage:
    return current_app.extensions["file_storage"]
