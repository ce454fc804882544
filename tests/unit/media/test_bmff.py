"""gallery.media.bmff: truncation of HEIC/HEIF/AVIF found from the container's structure."""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import pytest

from gallery.media import bmff, images
from tests.unit.media.conftest import MEDIA_CORPUS

FILES = sorted(p for p in (MEDIA_CORPUS / "exif-samples" / "heic").rglob("*") if p.is_file()) + sorted(
    (MEDIA_CORPUS / "pillow-images" / "avif").glob("*.avif*")
)


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, offset, size) of the top-level boxes."""
    found, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        found.append((kind, offset, size))
        offset += size
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_complete_files_pass_and_every_cut_is_found(path: Path) -> None:
    data = path.read_bytes()
    assert bmff.find_truncation(io.BytesIO(data)) is None
    for fraction in (0.1, 0.3, 0.6, 0.95, 0.999):
        reason = bmff.find_truncation(io.BytesIO(data[: int(len(data) * fraction)]))
        assert reason is not None and "truncated" in reason, fraction


@pytest.mark.parametrize("name", ["IMG_5195.HEIC", "iphone_13_pro_max.HEIC"])
def test_a_cut_between_boxes_is_found_from_the_item_locations(name: str) -> None:
    """Cut right before 'mdat': every remaining box is whole, but iloc points past the end."""
    data = next(p for p in FILES if p.name == name).read_bytes()
    mdat = next(offset for kind, offset, _ in boxes(data) if kind == b"mdat")
    reason = bmff.find_truncation(io.BytesIO(data[:mdat]))
    assert reason is not None and "item" in reason


def test_mdat_to_the_end_of_the_file_is_checked_through_iloc() -> None:
    data = bytearray(next(p for p in FILES if p.name == "HMD_Nokia_8.3_5G_hdr.heif").read_bytes())
    kind, offset, _ = boxes(bytes(data))[-1]
    assert kind == b"mdat"
    data[offset : offset + 4] = b"\0\0\0\0"  # size 0: "up to the end of the file"
    assert bmff.find_truncation(io.BytesIO(bytes(data))) is None
    reason = bmff.find_truncation(io.BytesIO(bytes(data[: len(data) - 1000])))
    assert reason is not None and "item 1" in reason


def test_position_is_kept_and_offsets_count_from_it() -> None:
    data = next(p for p in FILES if p.name == "samplefilehub.heif").read_bytes()
    stream = io.BytesIO(b"x" * 100 + data)
    stream.seek(100)
    assert bmff.find_truncation(stream) is None
    assert stream.tell() == 100


def test_garbage_after_ftyp_never_raises() -> None:
    data = next(p for p in FILES if p.name == "IMG_5195.HEIC").read_bytes()
    rng = random.Random(3)
    for _ in range(300):
        mutated = bytearray(data[:4000])
        for _ in range(20):
            mutated[rng.randrange(8, len(mutated))] = rng.randrange(256)
        bmff.find_truncation(io.BytesIO(bytes(mutated)))  # a reason or None, never an exception


def test_open_image_refuses_a_truncated_heic_with_the_reason() -> None:
    data = next(p for p in FILES if p.name == "iphone_13_pro_max.HEIC").read_bytes()
    with pytest.raises(images.UndecodableImage, match="truncated"):
        images.open_image(io.BytesIO(data[: len(data) // 2]), formats=("HEIF",))
    assert not bmff.is_bmff(b"\xff\xd8\xff\xe0" + b"\0" * 8)
