"""The storage contract: errors, key rules, the stored-object record and the ``Storage`` protocol.

Every backend (``LocalStorage``, ``S3Storage``, ``MemoryStorage``) implements the same semantics,
checked by one contract test suite (``tests/storage/test_contract.py``):

* Keys are relative POSIX paths made of ``[A-Za-z0-9._-]`` segments (see :func:`validate_key`).
  Every method validates its key first and raises :class:`InvalidKey` before touching storage.
* ``put`` hashes what it writes and only makes the object visible when the SHA-256 matches the one
  the caller expects; otherwise it raises :class:`ChecksumMismatch` and the key is left exactly as it
  was before the call (absent for a new key). Writing an existing key replaces it.
* Missing objects raise :class:`NotFound` from ``open``, ``stat`` and ``iter_bytes`` (at call time,
  before iteration starts); ``delete`` of a missing key is fine.
* ``list`` yields objects sorted by key whose key starts with the given plain string prefix. Listing
  may leave ``content_type``/``sha256`` as ``None`` (S3 listings do not carry them); ``stat`` is the
  authoritative source.
* Every failure of the storage itself (I/O error, endpoint down, credentials, timeouts) surfaces as a
  :class:`StorageError` whose message names the store, so a person can act on it. Exceptions raised
  by the caller's *input stream* during ``put`` propagate unchanged (after cleanup).

Only the standard library is imported here.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Self
from urllib.parse import quote

__all__ = [
    "MAX_KEY_LENGTH",
    "ByteChunks",
    "ChecksumMismatch",
    "InvalidKey",
    "NotFound",
    "Storage",
    "StorageError",
    "StoredObject",
    "content_disposition",
    "normalize_sha256",
    "sha256_hex",
    "validate_key",
    "validate_range",
]

MAX_KEY_LENGTH = 1024

_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class StorageError(Exception):
    """The store failed (I/O error, unreachable endpoint, denied access, timeout, ...)."""


class NotFound(StorageError):
    """No object is stored under the key."""


class InvalidKey(StorageError, ValueError):
    """The key is not an acceptable storage key (see :func:`validate_key`)."""


class ChecksumMismatch(StorageError):
    """The bytes written do not have the SHA-256 (or size) the caller expected; nothing was stored."""


@dataclass(frozen=True)
class StoredObject:
    """What a store knows about one object.

    ``last_modified`` is always timezone-aware UTC. ``content_type`` and ``sha256`` (lowercase hex)
    are ``None`` when the backend does not know them (e.g. entries yielded by ``S3Storage.list``).
    """

    key: str
    size: int
    last_modified: datetime
    content_type: str | None
    sha256: str | None


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a valid storage key, otherwise raise :class:`InvalidKey`.

    A valid key is a relative POSIX path of one or more segments separated by single ``/``; each
    segment consists of ``A-Z a-z 0-9 . _ -`` only and is neither ``.`` nor ``..``. So there is no
    leading or trailing ``/``, no empty segment (``a//b``), no backslash, no NUL, no whitespace and
    no non-ASCII character, and the key is at most 1024 characters long. Keys therefore never need
    URL-quoting and can never escape a directory.
    """
    if not isinstance(key, str):
        raise InvalidKey(f"storage key must be a string, not {type(key).__name__}")
    if not key:
        raise InvalidKey("storage key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage key is {len(key)} characters long; the maximum is {MAX_KEY_LENGTH}")
    shown = key if len(key) <= 80 else key[:77] + "..."
    if "\x00" in key:
        raise InvalidKey(f"storage key {shown!r} contains a NUL character")
    if "\\" in key:
        raise InvalidKey(f"storage key {shown!r} contains a backslash; use '/' to separate segments")
    if key.startswith("/"):
        raise InvalidKey(f"storage key {shown!r} must be relative (no leading '/')")
    for segment in key.split("/"):
        if not segment:
            raise InvalidKey(f"storage key {shown!r} has an empty segment ('//' or a trailing '/')")
        if segment in (".", ".."):
            raise InvalidKey(f"storage key {shown!r} contains a {segment!r} segment")
        if not _SEGMENT_RE.fullmatch(segment):
            raise InvalidKey(
                f"storage key {shown!r}: segment {segment!r} may contain only letters A-Z a-z, digits, '.', '_' and '-'"
            )
    return key


def normalize_sha256(sha256: str) -> str:
    """Return the lowercase hex form of a SHA-256 digest; ``ValueError`` if it is not one."""
    if not isinstance(sha256, str):
        raise TypeError(f"sha256 must be a hex string, not {type(sha256).__name__}")
    value = sha256.strip().lower()
    if not _SHA256_RE.fullmatch(value):
        raise ValueError(f"sha256 must be 64 hexadecimal characters, got {sha256!r}")
    return value


def size_mismatch(key: str, received: int, expected: int) -> ChecksumMismatch:
    """The error ``put`` raises when the stream's length differs from ``size=`` (used by the backends)."""
    return ChecksumMismatch(f"{key!r}: received {received} bytes, expected {expected}; nothing was stored")


def sha256_mismatch(key: str, actual: str, expected: str) -> ChecksumMismatch:
    """The error ``put`` raises when the stream's SHA-256 differs from ``sha256=`` (used by the backends)."""
    return ChecksumMismatch(
        f"{key!r}: the SHA-256 of the received bytes is {actual}, expected {expected}; nothing was stored"
    )


def validate_range(start: int, end: int | None) -> None:
    """Check ``iter_bytes`` range arguments (``end`` inclusive); ``ValueError`` if they make no sense."""
    if start < 0:
        raise ValueError(f"range start must be >= 0, got {start}")
    if end is not None and end < start:
        raise ValueError(f"range end ({end}) must be >= start ({start})")


def _ascii_fallback(filename: str) -> str:
    decomposed = unicodedata.normalize("NFKD", filename)
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue  # drop accents: "é" -> "e"
        if ch in '"\\/' or ord(ch) < 0x20 or ord(ch) >= 0x7F:
            out.append("_")
        else:
            out.append(ch)
    return "".join(out).strip() or "download"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """Build a ``Content-Disposition`` value that is safe for any file name (RFC 6266 / RFC 5987).

    ``filename="..."`` carries an ASCII fallback (accents stripped; quotes, slashes, backslashes and
    other non-ASCII characters replaced by ``_``) and ``filename*=UTF-8''...`` the
    exact name (control characters removed), percent-encoded.
    """
    name = "".join(ch for ch in filename if ord(ch) >= 0x20 and ord(ch) != 0x7F).strip() or "download"
    fallback = _ascii_fallback(name)
    encoded = quote(name, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


class Storage(ABC):
    """A blob store holding originals and derivatives. See the module docstring for the semantics.

    The backends subclass it: the argument checks every backend makes (the SHA-256 given, the
    byte range, the chunk size) and the behaviour they share (public URLs under
    ``public_base_url``, no local file) are here once; a backend writes ``_write`` and ``_chunks``
    and the operations that differ."""

    name: str
    public_base_url: str | None = None

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        sha256: str,
        content_type: str,
        size: int | None = None,
    ) -> StoredObject:
        """Write ``stream`` (read to EOF) under ``key``; verify SHA-256 (and ``size`` when given).

        Raises :class:`ChecksumMismatch` (leaving ``key`` untouched) when the bytes differ from the
        expectation, ``ValueError`` when ``sha256`` is not a hex digest.
        """
        expected = normalize_sha256(sha256)
        validate_key(key)
        return self._write(key, stream, expected, content_type, size)

    @abstractmethod
    def _write(self, key: str, stream: BinaryIO, expected: str, content_type: str, size: int | None) -> StoredObject:
        """:meth:`put` after its checks: ``expected`` is the normalised hex digest."""

    def copy(self, source: str, key: str, *, sha256: str, content_type: str, size: int) -> StoredObject:
        """Store the bytes kept under ``source`` under ``key`` as well, verified like :meth:`put`.
        Stores that copy inside themselves override it (S3: ``CopyObject``, the bytes never leave
        the store; the caller vouches for ``sha256``, having read the source)."""
        with self.open(source) as stream:
            return self.put(key, stream, sha256=sha256, content_type=content_type, size=size)

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable, closable binary file object (use it as a context manager)."""

    def iter_bytes(
        self,
        key: str,
        *,
        chunk_size: int = 1 << 20,
        start: int = 0,
        end: int | None = None,
    ) -> ByteChunks:
        """Bytes ``start..end`` (``end`` inclusive, clamped to the object) in chunks.

        :class:`NotFound` is raised by the call itself, not by the first ``next()``. The returned
        :class:`ByteChunks` has ``close()`` (and is a context manager); a range starting beyond the
        end of the object yields nothing.
        """
        validate_range(start, end)
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        return self._chunks(key, chunk_size, start, end)

    @abstractmethod
    def _chunks(self, key: str, chunk_size: int, start: int, end: int | None) -> ByteChunks:
        """:meth:`iter_bytes` after its checks."""

    @abstractmethod
    def stat(self, key: str) -> StoredObject: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects whose key starts with ``prefix`` (a plain string prefix), sorted by key."""

    def url(
        self,
        key: str,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        expires: int = 3600,
        public: bool = False,
    ) -> str | None:
        """A URL a browser can fetch the object from, or ``None`` when the app must serve it.

        By default: public objects under ``public_base_url`` (a CDN or public bucket), when set."""
        validate_key(key)
        if public and self.public_base_url:
            return f"{self.public_base_url}/{key}"
        return None

    def local_path(self, key: str) -> Path | None:
        """The existing file holding the object, for ``send_file`` (``LocalStorage`` only).

        ``None`` from backends without local files, and when the object does not exist (then
        ``stat``/``open`` raise :class:`NotFound`), so ``local_path(key) or <stream it>`` is safe.
        """
        validate_key(key)
        return None

    @abstractmethod
    def describe(self) -> str:
        """Where the data lives, for humans and logs (never contains secrets)."""


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class ByteChunks(Iterator[bytes]):
    """An iterator of byte chunks that releases its source when exhausted, closed or collected.

    Returned by every ``iter_bytes``; WSGI servers call ``close()`` on response iterables, so a
    client that disconnects mid-download does not leak a file handle or an HTTP connection.
    """

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        if self._release is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # best effort during garbage collection
            self.close()
