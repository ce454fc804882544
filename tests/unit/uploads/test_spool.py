"""gallery/uploads/spool.py: the spool files, their lock, appending with a checksum."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import time
from pathlib import Path

import pytest

from gallery.core.errors import GalleryError, NotFoundError
from gallery.uploads.spool import Checksum, ChecksumMismatch, Spool, TooManyBytes, UploadLocked

KEY = "k" * 32


class Broken(io.BytesIO):
    """A body whose client goes away after ``after`` bytes."""

    def __init__(self, data: bytes, after: int) -> None:
        super().__init__(data[:after])
        self.after = after

    def read(self, size: int | None = -1) -> bytes:
        piece = super().read(size)
        if not piece:
            raise OSError("client went away")
        return piece


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    store = Spool(tmp_path / "uploads")
    store.create(KEY)
    return store


def test_checksum_header() -> None:
    assert Checksum.parse(None) is None and Checksum.parse("  ") is None
    sha1 = Checksum.parse(f"sha1 {b64(hashlib.sha1(b'x').digest())}")
    assert sha1 is not None and sha1.algorithm == "sha1" and sha1.digest == hashlib.sha1(b"x").digest()
    assert Checksum.parse(f"SHA256 {b64(hashlib.sha256(b'x').digest())}") is not None
    with pytest.raises(GalleryError) as unknown:
        Checksum.parse(f"md5 {b64(hashlib.md5(b'x').digest())}")
    assert unknown.value.code == "checksum_algorithm" and unknown.value.status == 400
    for bad in ("sha1 ???", "sha1", f"sha256 {b64(hashlib.sha1(b'x').digest())}"):
        with pytest.raises(GalleryError) as broken:
            Checksum.parse(bad)
        assert broken.value.code == "bad_checksum"


def test_append_and_cut(spool: Spool) -> None:
    with spool.locked(KEY) as file:
        assert file.append(io.BytesIO(b"hello "), offset=0, limit=11, checksum=None) == 6
        file._handle.write(b"TAIL A KILLED PROCESS LEFT")  # written, never committed
        file._handle.flush()
        digest = Checksum("sha256", hashlib.sha256(b"world").digest())
        assert file.append(io.BytesIO(b"world"), offset=6, limit=5, checksum=digest) == 5
    assert spool.path(KEY).read_bytes() == b"hello world"


def test_a_checksum_mismatch_keeps_nothing(spool: Spool) -> None:
    with spool.locked(KEY) as file:
        file.append(io.BytesIO(b"abc"), offset=0, limit=10, checksum=None)
        with pytest.raises(ChecksumMismatch) as refused:
            file.append(io.BytesIO(b"def"), offset=3, limit=7, checksum=Checksum("sha1", hashlib.sha1(b"xyz").digest()))
    assert refused.value.status == 460
    assert spool.path(KEY).read_bytes() == b"abc"


def test_more_than_the_length_keeps_nothing(spool: Spool) -> None:
    with spool.locked(KEY) as file, pytest.raises(TooManyBytes):
        file.append(io.BytesIO(b"0123456789"), offset=0, limit=9, checksum=None)
    assert spool.path(KEY).read_bytes() == b""


def test_a_client_gone_mid_chunk_keeps_what_arrived_unless_checked(spool: Spool) -> None:
    with spool.locked(KEY) as file:
        with pytest.raises(OSError) as gone:
            file.append(Broken(b"0123456789", 4), offset=0, limit=10, checksum=None)
        assert gone.value.written == 4  # type: ignore[attr-defined]
        checked = Checksum("sha1", hashlib.sha1(b"456789").digest())
        with pytest.raises(OSError) as gone_checked:
            file.append(Broken(b"456789", 3), offset=4, limit=6, checksum=checked)
        assert gone_checked.value.written == 0  # type: ignore[attr-defined]
    assert spool.path(KEY).read_bytes() == b"0123"


def test_one_writer_at_a_time(spool: Spool) -> None:
    with spool.locked(KEY):
        # a second open file description: another request
        with pytest.raises(UploadLocked) as busy, spool.locked(KEY):
            pass
        assert busy.value.status == 423
    with spool.locked(KEY) as file:  # released
        file.remove()
    with pytest.raises(NotFoundError), spool.locked(KEY):
        pass


def test_keys_are_checked_and_listed(spool: Spool, tmp_path: Path) -> None:
    for bad in ("../../etc/passwd", "short", "x" * 65, "a/b" * 10):
        with pytest.raises(NotFoundError):
            spool.path(bad)
    (tmp_path / "uploads" / "notes.txt").write_text("not a spool file")
    assert spool.stored_keys() == [KEY] and spool.exists(KEY)
    assert spool.mtime("m" * 32) is None
    assert Spool(tmp_path / "nowhere").stored_keys() == []


def test_waiting_for_the_lock(spool: Spool) -> None:
    with spool.locked(KEY):
        started = time.monotonic()
        with pytest.raises(UploadLocked), spool.locked(KEY, wait=0.2):
            pass
        assert time.monotonic() - started >= 0.2
    holder = spool.locked(KEY)
    holder.__enter__()
    threading.Timer(0.2, lambda: holder.__exit__(None, None, None)).start()
    with spool.locked(KEY, wait=5) as file:  # the other request finished meanwhile
        assert file.size() == 0
