"""Helpers shared by the storage tests (streams with failure modes, S3 inspection)."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any, BinaryIO

from gallery.storage import S3Storage, Storage

MiB = 1024 * 1024
# S3 tests use the smallest legal part size so that 20 MB exercises a 4-part multipart upload.
S3_TEST_THRESHOLD = 5 * MiB
S3_TEST_PART_SIZE = 5 * MiB
PUBLIC_BASE = "https://media.example.org/gallery"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_bytes(storage: Storage, key: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    return storage.put(key, io.BytesIO(data), sha256=sha(data), content_type=content_type)


class TrickleStream(io.RawIOBase, BinaryIO):
    """A stream that returns short reads (like a socket), to exercise the backends' read loops."""

    def __init__(self, data: bytes, max_read: int = 777_777) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._max = max_read

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data)
        n = min(size, self._max, len(self._data) - self._pos)
        chunk = bytes(self._data[self._pos : self._pos + n])
        self._pos += n
        return chunk


class FailingStream(io.RawIOBase, BinaryIO):
    """Yields ``fail_after`` bytes, then raises ``exc`` (a client that disconnects mid-upload)."""

    def __init__(self, fail_after: int, exc: BaseException) -> None:
        self._left = fail_after
        self._exc = exc

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise self._exc
        n = self._left if size is None or size < 0 else min(size, self._left)
        self._left -= n
        return b"\x5a" * n


def pending_uploads(storage: S3Storage) -> list[dict[str, Any]]:
    return list(storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", []))


def all_bucket_keys(storage: S3Storage) -> list[str]:
    return [o["Key"] for o in storage.client.list_objects_v2(Bucket=storage.bucket).get("Contents", [])]


def record_requests(storage: S3Storage) -> list[tuple[str, str, dict[str, str]]]:
    """Spy on the HTTP requests the client sends (method, URL, headers), through botocore's event system."""
    sent: list[tuple[str, str, dict[str, str]]] = []

    def on_send(request: Any, **_: Any) -> None:
        headers = {k.lower(): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
        sent.append((request.method, request.url, headers))

    storage.client.meta.events.register("before-send.s3", on_send)
    return sent


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()
