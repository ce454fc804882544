"""The storage contract, run against every backend: local folder, S3 (moto over HTTP) and memory."""

from __future__ import annotations

import io
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gallery.storage import (
    ChecksumMismatch,
    InvalidKey,
    LocalStorage,
    NotFound,
    S3Storage,
    Storage,
    StorageError,
    StoredObject,
    content_disposition,
)
from tests.storage.helpers import (
    PUBLIC_BASE,
    FailingStream,
    TrickleStream,
    pending_uploads,
    put_bytes,
    sha,
)


def _read_all(storage: Storage, key: str) -> bytes:
    with storage.open(key) as fh:
        return fh.read()


def _assert_recent_utc(when: datetime) -> None:
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=5)


def test_implements_protocol(storage: Storage) -> None:
    assert isinstance(storage, Storage)
    assert storage.name in {"local", "s3", "memory"}


@pytest.mark.parametrize("size", [0, 1, 20_000_000], ids=["0B", "1B", "20MB"])
def test_round_trip_is_bit_exact(storage: Storage, size: int, big_blob: bytes) -> None:
    data = big_blob[:size]
    parts_uploaded: list[int] = []
    if isinstance(storage, S3Storage):
        # A spy on the client's own event system (no patching): count UploadPart calls.
        storage.client.meta.events.register(
            "before-parameter-build.s3.UploadPart", lambda params, **_: parts_uploaded.append(params["PartNumber"])
        )
    key = "originals/ab/cd/blob.bin"
    record = storage.put(key, TrickleStream(data), sha256=sha(data), content_type="image/jpeg", size=size)

    assert isinstance(record, StoredObject)
    assert (record.key, record.size, record.sha256, record.content_type) == (key, size, sha(data), "image/jpeg")
    _assert_recent_utc(record.last_modified)

    stat = storage.stat(key)
    assert (stat.key, stat.size, stat.sha256, stat.content_type) == (key, size, sha(data), "image/jpeg")
    _assert_recent_utc(stat.last_modified)
    assert storage.exists(key)

    assert _read_all(storage, key) == data
    chunks = list(storage.iter_bytes(key, chunk_size=3 * 1024 * 1024))
    assert b"".join(chunks) == data
    assert all(len(c) <= 3 * 1024 * 1024 for c in chunks)

    if isinstance(storage, S3Storage):
        assert parts_uploaded == ([1, 2, 3, 4] if size == 20_000_000 else [])
        assert pending_uploads(storage) == []


def test_open_is_a_closable_binary_file(storage: Storage) -> None:
    put_bytes(storage, "a/file", b"0123456789")
    fh = storage.open("a/file")
    with fh:
        assert fh.read(4) == b"0123"
        assert fh.read() == b"456789"
        assert fh.read() == b""
    assert fh.closed


def test_overwrite_replaces_content(storage: Storage) -> None:
    put_bytes(storage, "k", b"first version", content_type="text/plain")
    put_bytes(storage, "k", b"second", content_type="image/png")
    assert _read_all(storage, "k") == b"second"
    stat = storage.stat("k")
    assert (stat.size, stat.sha256, stat.content_type) == (6, sha(b"second"), "image/png")


@pytest.mark.parametrize("size", [10, 12 * 1024 * 1024], ids=["small", "multipart"])
def test_wrong_sha256_leaves_nothing(storage: Storage, size: int, big_blob: bytes) -> None:
    data = big_blob[:size]
    with pytest.raises(ChecksumMismatch):
        storage.put("x/y.jpg", io.BytesIO(data), sha256=sha(b"something else"), content_type="image/jpeg")
    assert not storage.exists("x/y.jpg")
    with pytest.raises(NotFound):
        storage.stat("x/y.jpg")
    assert list(storage.list()) == []
    if isinstance(storage, S3Storage):
        assert pending_uploads(storage) == []


def test_failed_overwrite_keeps_the_previous_object(storage: Storage) -> None:
    put_bytes(storage, "k", b"good")
    with pytest.raises(ChecksumMismatch):
        storage.put("k", io.BytesIO(b"evil"), sha256=sha(b"good"), content_type="text/plain")
    assert _read_all(storage, "k") == b"good"
    assert storage.stat("k").sha256 == sha(b"good")


def test_size_mismatch_is_rejected(storage: Storage) -> None:
    with pytest.raises(ChecksumMismatch):
        storage.put("k", io.BytesIO(b"abc"), sha256=sha(b"abc"), content_type="text/plain", size=4)
    assert not storage.exists("k")


def test_sha256_accepts_uppercase_and_rejects_garbage(storage: Storage) -> None:
    record = storage.put("k", io.BytesIO(b"abc"), sha256=sha(b"abc").upper(), content_type="text/plain")
    assert record.sha256 == sha(b"abc")
    with pytest.raises(ValueError):
        storage.put("k2", io.BytesIO(b"abc"), sha256="not-a-digest", content_type="text/plain")
    assert not storage.exists("k2")


def test_stream_error_propagates_and_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(ConnectionResetError):
        storage.put(
            "k", FailingStream(1000, ConnectionResetError("client went away")), sha256=sha(b""), content_type="x/y"
        )
    assert not storage.exists("k")
    assert list(storage.list()) == []


def test_missing_key(storage: Storage) -> None:
    put_bytes(storage, "present", b"x")
    with pytest.raises(NotFound):
        storage.open("missing")
    with pytest.raises(NotFound):
        storage.stat("missing")
    with pytest.raises(NotFound):
        storage.iter_bytes("missing")  # raised by the call, before iteration
    with pytest.raises(NotFound):
        storage.iter_bytes("missing/deeper", start=5, end=10)
    with pytest.raises(NotFound):
        storage.open("present/child")
    assert storage.exists("missing") is False
    assert issubclass(NotFound, StorageError)


def test_delete_is_idempotent(storage: Storage) -> None:
    put_bytes(storage, "a/b/c", b"data")
    put_bytes(storage, "a/b/d", b"data")
    storage.delete("a/b/c")
    assert not storage.exists("a/b/c")
    storage.delete("a/b/c")
    storage.delete("never/existed")
    assert [o.key for o in storage.list()] == ["a/b/d"]
    storage.delete("a/b/d")
    assert list(storage.list()) == []
    put_bytes(storage, "a/b/c", b"again")  # the folder may have been pruned; writing still works
    assert _read_all(storage, "a/b/c") == b"again"


def test_list_by_prefix_sorted(storage: Storage) -> None:
    keys = ["b/2", "a/10", "ab", "a/1", "a.txt", "c", "a/2", "a/sub/deep.jpg"]
    for i, key in enumerate(keys):
        put_bytes(storage, key, b"x" * i)

    everything = list(storage.list())
    assert [o.key for o in everything] == sorted(keys)
    assert {o.key: o.size for o in everything} == {k: i for i, k in enumerate(keys)}
    for obj in everything:
        _assert_recent_utc(obj.last_modified)

    assert [o.key for o in storage.list("a")] == ["a.txt", "a/1", "a/10", "a/2", "a/sub/deep.jpg", "ab"]
    assert [o.key for o in storage.list("a/")] == ["a/1", "a/10", "a/2", "a/sub/deep.jpg"]
    assert [o.key for o in storage.list("a/1")] == ["a/1", "a/10"]
    assert [o.key for o in storage.list("a/sub/")] == ["a/sub/deep.jpg"]
    assert [o.key for o in storage.list("b/2")] == ["b/2"]
    assert list(storage.list("zzz")) == []
    assert list(storage.list("nope/")) == []
    assert list(storage.list("../")) == []


def test_ranges(storage: Storage) -> None:
    data = bytes(range(256)) * 4  # 1024 bytes
    put_bytes(storage, "r", data)
    put_bytes(storage, "empty", b"")

    def read(key: str = "r", **kw: Any) -> bytes:
        return b"".join(storage.iter_bytes(key, **kw))

    assert read(start=0, end=0) == data[:1]
    assert read(start=10, end=19) == data[10:20]
    assert read(start=1000) == data[1000:]
    assert read(start=1023, end=1023) == data[1023:]
    assert read(start=1000, end=5000) == data[1000:]  # end is clamped
    assert read(start=1024) == b""  # starts at the end
    assert read(start=5000, end=6000) == b""
    assert read("empty") == b""
    assert read("empty", start=0, end=10) == b""

    chunks = list(storage.iter_bytes("r", chunk_size=100, start=50, end=349))
    assert b"".join(chunks) == data[50:350]
    assert max(len(c) for c in chunks) <= 100 and len(chunks) >= 3

    with pytest.raises(ValueError):
        storage.iter_bytes("r", start=-1)
    with pytest.raises(ValueError):
        storage.iter_bytes("r", start=10, end=9)


def test_iterator_can_be_closed_early(storage: Storage) -> None:
    put_bytes(storage, "r", b"z" * 10_000)
    chunks = storage.iter_bytes("r", chunk_size=1000)
    assert next(chunks) == b"z" * 1000
    chunks.close()  # what a WSGI server does when the client disconnects
    assert list(chunks) == []


BAD_KEYS = [
    "../x",
    "/abs",
    "a/../../b",
    "a\\b",
    "a//b",
    "a/b/",
    "a\x00b",
    ".",
    "..",
    "a/./b",
    "",
    "x" * 1025,
    "café.jpg",
    "a b",
    "~x",
    "a/b?c",
    "C:\\evil",
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=lambda k: repr(k)[:20])
def test_unsafe_keys_are_rejected_everywhere(storage: Storage, key: str, local_root: Path) -> None:
    outside = local_root.parent
    before = sorted(p for p in outside.rglob("*") if not p.is_relative_to(local_root))

    operations = [
        lambda: storage.put(key, io.BytesIO(b"x"), sha256=sha(b"x"), content_type="x/y"),
        lambda: storage.open(key),
        lambda: storage.iter_bytes(key),
        lambda: storage.stat(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.url(key),
        lambda: storage.local_path(key),
    ]
    for operation in operations:
        with pytest.raises(InvalidKey) as info:
            operation()
        assert isinstance(info.value, ValueError) and isinstance(info.value, StorageError)
        assert str(info.value)

    after = sorted(p for p in outside.rglob("*") if not p.is_relative_to(local_root))
    assert after == before
    assert list(storage.list()) == []


def test_long_and_unusual_but_valid_keys(storage: Storage) -> None:
    long_key = "/".join(["d" * 200] * 4) + "/" + "f" * 150  # 954 characters
    for key in [long_key, "...", "..a/b..", "-_.", "UPPER/lower-123_x.JPG"]:
        put_bytes(storage, key, key.encode())
        assert _read_all(storage, key) == key.encode()
    assert [o.key for o in storage.list()] == sorted([long_key, "...", "..a/b..", "-_.", "UPPER/lower-123_x.JPG"])


def test_url_without_public_base(storage: Storage) -> None:
    data = os.urandom(3000)
    put_bytes(storage, "photos/1/original.jpg", data)
    url = storage.url("photos/1/original.jpg", filename='Brüssel "day 1".jpg', content_type="image/jpeg", expires=60)
    public = storage.url("photos/1/original.jpg", public=True)
    if not isinstance(storage, S3Storage):
        assert url is None and public is None  # the app serves the file itself
        return
    assert url is not None and public is not None
    with urllib.request.urlopen(url, timeout=10) as response:  # presigned GET, over HTTP from moto
        assert response.read() == data
        assert response.headers["Content-Disposition"] == content_disposition('Brüssel "day 1".jpg')
        assert response.headers["Content-Type"] == "image/jpeg"
    assert 'filename="Brussel _day 1_.jpg"' in content_disposition('Brüssel "day 1".jpg')
    with urllib.request.urlopen(public, timeout=10) as response:  # public=True without a base: still signed
        assert response.read() == data


def test_url_with_public_base(public_storage: Storage) -> None:
    put_bytes(public_storage, "derivatives/1/400.webp", b"img")
    assert public_storage.url("derivatives/1/400.webp", public=True) == f"{PUBLIC_BASE}/derivatives/1/400.webp"
    private = public_storage.url("derivatives/1/400.webp")
    if isinstance(public_storage, S3Storage):
        assert private is not None and "X-Amz-Signature=" in private
    else:
        assert private is None


def test_local_path(storage: Storage) -> None:
    put_bytes(storage, "a/b.jpg", b"bytes")
    path = storage.local_path("a/b.jpg")
    if isinstance(storage, LocalStorage):
        assert path is not None and path.read_bytes() == b"bytes"
        assert path.resolve().is_relative_to(storage.root)
    else:
        assert path is None
    assert storage.local_path("a/missing.jpg") is None  # callers fall back to stat/open -> NotFound
    assert storage.local_path("a") is None  # a folder is not an object


def test_describe(storage: Storage) -> None:
    text = storage.describe()
    if isinstance(storage, LocalStorage):
        assert text == storage.root.as_uri()
    elif isinstance(storage, S3Storage):
        assert text == f"s3://{storage.bucket}/media/v1 at {storage.endpoint_url}"
    else:
        assert text == "memory://"


def test_metadata_is_reported_by_stat(storage: Storage) -> None:
    put_bytes(storage, "m", b"meta", content_type="image/webp")
    listed = next(iter(storage.list()))
    assert listed.key == "m" and listed.size == 4
    assert listed.sha256 in (None, sha(b"meta"))  # listings may omit it; stat may not
    assert storage.stat("m").sha256 == sha(b"meta")
    assert storage.stat("m").content_type == "image/webp"
