"""The spool of unfinished resumable uploads: one file per upload in a folder every web process
reaches (``GALLERY_UPLOAD_SPOOL``, else ``<instance>/uploads``), so a resumed upload may land on any
process.  A PATCH holds the file's exclusive lock (``flock``) while it writes, which serialises
concurrent PATCHes to one upload across processes; the lock goes with the process if it is killed.

No database here: :mod:`gallery.uploads.tus` keeps the committed offset and tells the spool where
to cut and append."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gallery.config import Settings
from gallery.core.errors import GalleryError, NotFoundError

PIECE = 256 * 1024
SUFFIX = ".part"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# The checksum extension's algorithms (sha1 is the one the protocol requires).
CHECKSUMS: dict[str, Callable[[], Any]] = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


class UploadLocked(GalleryError):
    """Another request is writing to this upload right now (clients retry: tus-js-client does on 423)."""

    status = 423
    code = "upload_locked"


class ChecksumMismatch(GalleryError):
    """The tus checksum extension's answer to a chunk whose bytes do not match Upload-Checksum."""

    status = 460
    code = "checksum_mismatch"


class TooManyBytes(GalleryError):
    status = 413
    code = "payload_too_large"


@dataclass(frozen=True)
class Checksum:
    """``Upload-Checksum: <algorithm> <base64 digest>``."""

    algorithm: str
    digest: bytes

    @classmethod
    def parse(cls, header: str | None) -> Checksum | None:
        if header is None or not header.strip():
            return None
        name, _, value = header.strip().partition(" ")
        algorithm = name.lower()
        if algorithm not in CHECKSUMS:
            raise GalleryError(
                f"checksum algorithm {name!r} is not supported: use one of {', '.join(CHECKSUMS)}",
                code="checksum_algorithm",
                field="Upload-Checksum",
            )
        try:
            digest = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            digest = b""
        if len(digest) != CHECKSUMS[algorithm]().digest_size:
            raise GalleryError(
                "Upload-Checksum must be '<algorithm> <base64 digest>'", code="bad_checksum", field="Upload-Checksum"
            )
        return cls(algorithm, digest)


def folder(settings: Settings) -> Path:
    """Where the spool lives: ``GALLERY_UPLOAD_SPOOL``, else ``<instance>/uploads``."""
    return settings.uploads.spool or settings.instance_path / "uploads"


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not KEY_PATTERN.fullmatch(key):
            raise NotFoundError("no such upload")
        return self.root / f"{key}{SUFFIX}"

    def create(self, key: str) -> None:
        """An empty spool file for a new upload (fails if one exists: keys are random)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self.path(key).open("xb"):
            pass

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def stored_keys(self) -> list[str]:
        """The keys of every spool file (for the sweep)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(SUFFIX)] for p in self.root.glob(f"*{SUFFIX}") if KEY_PATTERN.fullmatch(p.stem))

    def mtime(self, key: str) -> float | None:
        try:
            return self.path(key).stat().st_mtime
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def locked(self, key: str, *, wait: float = 0) -> Iterator[SpoolFile]:
        """The upload's file, opened and exclusively locked: :class:`UploadLocked` when another
        process or thread holds it (for ``wait`` seconds), ``NotFoundError`` when it is gone
        (terminated, finished or swept, also when that happened while we waited)."""
        path = self.path(key)
        try:
            handle = path.open("r+b")
        except FileNotFoundError:
            raise NotFoundError("no such upload") from None
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise UploadLocked("another request is writing to this upload; try again") from None
                    time.sleep(0.05)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            opened = os.fstat(handle.fileno())
            if current is None or (current.st_ino, current.st_dev) != (opened.st_ino, opened.st_dev):
                raise NotFoundError("no such upload")  # removed after we opened it
            yield SpoolFile(path, handle)
        finally:
            handle.close()  # releases the lock


class SpoolFile:
    """A locked spool file (see :meth:`Spool.locked`)."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self._handle = handle

    def size(self) -> int:
        return os.fstat(self._handle.fileno()).st_size

    def cut(self, offset: int) -> None:
        """Forget what lies past ``offset`` (the tail a killed or refused PATCH left)."""
        self._handle.flush()
        if self.size() != offset:
            self._handle.truncate(offset)
        os.fsync(self._handle.fileno())

    def append(self, stream: IO[bytes], *, offset: int, limit: int, checksum: Checksum | None) -> int:
        """Write ``stream`` at ``offset`` (the committed offset; any tail past it is cut first) and
        answer how many bytes were written and synced.

        More than ``limit`` bytes: nothing is kept, :class:`TooManyBytes`.  A ``checksum`` that
        does not match: nothing is kept, :class:`ChecksumMismatch`.  A stream that fails (the
        client went away): without a checksum what arrived is kept (tus resumes from there) and
        the error is raised with ``written`` set on it; with one, nothing is kept."""
        self.cut(offset)
        digest = CHECKSUMS[checksum.algorithm]() if checksum else None
        written = 0
        self._handle.seek(offset)
        try:
            while True:
                piece = stream.read(min(PIECE, limit - written + 1))
                if not piece:
                    break
                written += len(piece)
                if written > limit:
                    raise TooManyBytes(f"more bytes than the {limit} the upload still expects")
                if digest is not None:
                    digest.update(piece)
                self._handle.write(piece)
        except Exception as exc:
            keep = 0 if (checksum is not None or isinstance(exc, TooManyBytes)) else written
            self.cut(offset + keep)
            exc.written = keep  # type: ignore[attr-defined]
            raise
        self._handle.flush()
        if digest is not None and checksum is not None and digest.digest() != checksum.digest:
            self.cut(offset)
            raise ChecksumMismatch(f"the chunk's {checksum.algorithm} does not match Upload-Checksum; nothing was kept")
        self.cut(offset + written)
        return written

    def head_and_sha256(self) -> tuple[bytes, str]:
        """The first 4 KiB and the SHA-256 of the whole file (read once, for the upload path)."""
        digest = hashlib.sha256()
        self._handle.seek(0)
        head = self._handle.read(4096)
        digest.update(head)
        while piece := self._handle.read(1024 * 1024):
            digest.update(piece)
        return head, digest.hexdigest()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
