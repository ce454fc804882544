"""A Flask request class whose uploaded files are hashed while they are written.

Werkzeug asks ``_get_file_stream`` for a place to put each multipart file part; we
hand it a temporary file that feeds every chunk through SHA-256 on the way to
disk, so an upload is read once and never held in memory."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from flask import Request, has_request_context, request

from gallery.photos.received import Received


class HashingFile:
    """A write-then-read temporary file that hashes what is written to it."""

    def __init__(self, directory: str | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=directory)
        self._file: IO[bytes] = os.fdopen(fd, "w+b")
        self.path = Path(name)
        self._digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        if len(self.head) < 4096:
            self.head += bytes(data[: 4096 - len(self.head)])
        return self._file.write(data)

    def received(self) -> Received:
        self._file.flush()
        return Received(path=self.path, sha256=self._digest.hexdigest(), size=self.size, owned=True, head=self.head)

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # best effort during garbage collection
            self.close()


class GalleryRequest(Request):
    upload_tmp_dir: str | None = None

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return HashingFile(self.upload_tmp_dir)  # type: ignore[return-value]


def request_class(upload_tmp_dir: Path) -> type[GalleryRequest]:
    """The app's request class: uploads are spooled (and hashed) in ``upload_tmp_dir``, created if missing."""
    upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    return type("GalleryRequest", (GalleryRequest,), {"upload_tmp_dir": str(upload_tmp_dir)})


def may_write() -> bool:
    """Whether the current request, if there is one, may change data (any method but GET, HEAD, OPTIONS)."""
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def received_from(file_storage: Any) -> Received | None:
    """The hashed temporary file behind a Werkzeug ``FileStorage``, if it is ours."""
    stream = getattr(file_storage, "stream", None)
    if isinstance(stream, HashingFile):
        return stream.received()
    return None
