"""gallery.photos.received: spooling and hashing received bytes, the one upload size rule, and a
local path to a stored original."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from gallery.core.errors import PayloadTooLarge
from gallery.photos.received import check_size, copy_to_temp, hash_local, open_original_path, spool
from gallery.storage import LocalStorage, MemoryStorage, sha256_hex

MB = 1024 * 1024


def test_check_size_allows_the_limit_itself_and_refuses_one_byte_more() -> None:
    check_size(2 * MB, max_bytes=2 * MB)
    with pytest.raises(PayloadTooLarge) as info:
        check_size(2 * MB + 1, max_bytes=2 * MB)
    assert info.value.status == 413 and info.value.code == "payload_too_large"
    assert info.value.message == "the file is larger than the upload limit of 2 MB"


def test_spool_hashes_while_copying_and_keeps_the_head(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40  # 10 KiB
    received = spool(io.BytesIO(data), max_bytes=len(data), tmp_dir=tmp_path)
    assert (received.sha256, received.size, received.owned) == (hashlib.sha256(data).hexdigest(), len(data), True)
    assert received.head == data[:4096] and received.path.read_bytes() == data
    with received:
        pass
    assert not received.path.exists()


def test_spool_stops_past_the_limit_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(PayloadTooLarge, match="upload limit of 1 MB"):
        spool(io.BytesIO(b"x" * (MB + 1)), max_bytes=MB, tmp_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hash_local_reads_in_place_and_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(b"\xff\xd8" + b"a" * 5000)
    received = hash_local(path, max_bytes=MB)
    assert received.path == path and not received.owned and received.size == 5002
    assert received.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert received.head == path.read_bytes()[:4096]
    received.cleanup()
    assert path.exists()  # not ours to remove
    big = tmp_path / "big.tif"
    big.write_bytes(b"\0" * (MB + 1))
    with pytest.raises(PayloadTooLarge):
        hash_local(big, max_bytes=MB)


def test_open_original_path_uses_the_stores_file_or_a_temporary_copy(tmp_path: Path) -> None:
    data = b"original bytes"
    local = LocalStorage(tmp_path / "media")
    local.put("originals/x", io.BytesIO(data), sha256=sha256_hex(data), content_type="image/jpeg", size=len(data))
    path, temporary = open_original_path(local, "originals/x")
    assert not temporary and path.read_bytes() == data

    memory = MemoryStorage()
    memory.put("originals/x", io.BytesIO(data), sha256=sha256_hex(data), content_type="image/jpeg", size=len(data))
    path, temporary = open_original_path(memory, "originals/x")
    assert temporary and path.read_bytes() == data
    path.unlink()
    copied = copy_to_temp(io.BytesIO(data), tmp_dir=tmp_path)
    assert copied.parent == tmp_path and copied.read_bytes() == data
