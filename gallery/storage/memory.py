"""Objects in a process-local dict: same semantics as the other backends, for unit tests."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from gallery.storage.base import (
    ByteChunks,
    NotFound,
    Storage,
    StoredObject,
    sha256_mismatch,
    size_mismatch,
    validate_key,
)

__all__ = ["MemoryStorage"]

_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Entry:
    data: bytes
    record: StoredObject


class MemoryStorage(Storage):
    """A thread-safe in-memory store. Nothing survives the process."""

    name: str = "memory"

    def __init__(self, public_base_url: str | None = None) -> None:
        self.public_base_url: str | None = public_base_url.rstrip("/") if public_base_url else None
        self._objects: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryStorage(<{len(self._objects)} objects>)"

    def _get(self, key: str) -> _Entry:
        validate_key(key)
        with self._lock:
            entry = self._objects.get(key)
        if entry is None:
            raise NotFound(f"no object {key!r} in memory storage")
        return entry

    def _write(self, key: str, stream: BinaryIO, expected: str, content_type: str, size: int | None) -> StoredObject:
        validate_key(key)
        digest = hashlib.sha256()
        buffer = bytearray()
        while True:
            chunk = stream.read(_COPY_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            buffer += chunk
        actual = digest.hexdigest()
        if size is not None and len(buffer) != size:
            raise size_mismatch(key, len(buffer), size)
        if actual != expected:
            raise sha256_mismatch(key, actual, expected)
        record = StoredObject(
            key=key,
            size=len(buffer),
            last_modified=datetime.now(UTC),
            content_type=content_type,
            sha256=actual,
        )
        with self._lock:
            self._objects[key] = _Entry(bytes(buffer), record)
        return record

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self._get(key).data)

    def _chunks(self, key: str, chunk_size: int, start: int, end: int | None) -> ByteChunks:
        data = self._get(key).data
        stop = len(data) if end is None else min(end + 1, len(data))

        def chunks() -> Iterator[bytes]:
            for offset in range(start, stop, chunk_size):
                yield data[offset : min(offset + chunk_size, stop)]

        return ByteChunks(chunks(), lambda: None)

    def stat(self, key: str) -> StoredObject:
        return self._get(key).record

    def exists(self, key: str) -> bool:
        validate_key(key)
        with self._lock:
            return key in self._objects

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._objects.pop(key, None)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a string")
        with self._lock:
            records = [entry.record for key, entry in self._objects.items() if key.startswith(prefix)]
        records.sort(key=lambda obj: obj.key)
        return iter(records)

    def describe(self) -> str:
        return "memory://"
