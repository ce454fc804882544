"""Receiving bytes: stream to a temporary file while hashing, never the whole file in memory."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from gallery.core.errors import PayloadTooLarge
from gallery.storage import Storage

CHUNK = 1024 * 1024


@dataclass
class Received:
    """A file on local disk with its SHA-256 and size.  ``owned`` files are
    temporary copies and are removed by :meth:`cleanup`."""

    path: Path
    sha256: str
    size: int
    owned: bool = False
    head: bytes = field(default=b"", repr=False)
    # The same bytes already in the store under this key (a direct upload's staging object): the
    # original is then copied inside the store instead of written from ``path``.
    stored_key: str | None = None

    def cleanup(self) -> None:
        if self.owned:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Received:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def check_size(size: int, *, max_bytes: int) -> None:
    """The upload size limit: 413 past ``max_bytes``.  Checked while spooling, before hashing a
    local file, and by :func:`gallery.photos.receive.receive` on every received file."""
    if size > max_bytes:
        raise PayloadTooLarge(f"the file is larger than the upload limit of {max_bytes // (1024 * 1024)} MB")


def spool(stream: IO[bytes], *, max_bytes: int, tmp_dir: str | Path | None = None) -> Received:
    """Copy ``stream`` to a temporary file, hashing as it goes; 413 past ``max_bytes``."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=tmp_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                check_size(size, max_bytes=max_bytes)
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path=path, sha256=digest.hexdigest(), size=size, owned=True, head=head)


def hash_local(path: Path, *, max_bytes: int) -> Received:
    """Hash a file that is already on local disk (CLI import) without copying it."""
    size = path.stat().st_size
    check_size(size, max_bytes=max_bytes)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(4096)
        digest.update(head)
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return Received(path=path, sha256=digest.hexdigest(), size=size, owned=False, head=head)


def copy_to_temp(stream: IO[bytes], *, tmp_dir: str | Path | None = None) -> Path:
    fd, name = tempfile.mkstemp(prefix="original-", dir=tmp_dir)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(stream, out, CHUNK)
    return Path(name)


def open_original_path(storage: Storage, key: str) -> tuple[Path, bool]:
    """A local path to a stored original: the store's own file, or a temporary copy (``True``:
    the caller removes it)."""
    local = storage.local_path(key)
    if local is not None:
        return local, False
    with storage.open(key) as stream:
        return copy_to_temp(stream), True
