"""Camera raw files recognised by their bytes (gallery/media/raw_sniff.py, through sniff.detect): every
format the card folders bring (CR2, CR3, NEF, ARW, RAF, ORF, RW2, DNG), and plain TIFFs stay TIFFs."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from gallery.media import sniff
from gallery.media.raw_sniff import RAW_KINDS, classify_tiff_raw, ifd0_tags, raw_signature
from tests.ingest.dng import write_dng


def tiff_head(entries: list[tuple[int, int, int, bytes]], *, extra: bytes = b"", big_endian: bool = False) -> bytes:
    """A TIFF header and first IFD; ``entries`` are (tag, type, count, 4 value bytes); ``extra``
    follows the IFD (ASCII values longer than 4 bytes point there)."""
    e = ">" if big_endian else "<"
    ifd = struct.pack(e + "H", len(entries))
    ifd += b"".join(struct.pack(e + "HHI", tag, kind, count) + value for tag, kind, count, value in entries)
    return (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(e + "I", 8) + ifd + b"\x00" * 4 + extra


def make_entry(text: str, entries_before: int, total_entries: int) -> tuple[int, int, int, bytes]:
    """An IFD0 ``Make`` entry whose text lives right after the IFD."""
    data = text.encode() + b"\x00"
    offset = 8 + 2 + 12 * total_entries + 4
    return (0x010F, 2, len(data), struct.pack("<I", offset))


def camera_tiff(make: str, *, with_sub_ifds: bool = True, sony_private: bool = False) -> bytes:
    count = 1 + int(with_sub_ifds) + int(sony_private)
    entries = [make_entry(make, 0, count)]
    if with_sub_ifds:
        entries.append((0x014A, 4, 1, struct.pack("<I", 1000)))
    if sony_private:
        entries.append((0xC634, 1, 4, struct.pack("<I", 2000)))
    return tiff_head(entries, extra=make.encode() + b"\x00")


@pytest.mark.parametrize(
    ("head", "kind", "label"),
    [
        (camera_tiff("NIKON CORPORATION"), "nef", "Nikon NEF raw image"),
        (camera_tiff("SONY", with_sub_ifds=False, sony_private=True), "arw", "Sony ARW raw image"),
        (camera_tiff("SONY"), "arw", "Sony ARW raw image"),
        (b"FUJIFILMCCD-RAW 0201FF383501" + b"\x00" * 64, "raf", "Fujifilm RAF raw image"),
        (b"IIRO\x08\x00\x00\x00" + b"\x00" * 32, "orf", "Olympus ORF raw image"),
        (b"IIU\x00\x08\x00\x00\x00" + b"\x00" * 32, "rw2", "Panasonic RW2 raw image"),
        (b"II*\x00\x10\x00\x00\x00CR\x02\x00" + b"\x00" * 20, "cr2", "Canon CR2 raw image"),
        (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "cr3", "Canon CR3 raw image"),
    ],
)
def test_raw_formats_are_told_by_their_bytes(head: bytes, kind: str, label: str) -> None:
    found = sniff.detect(head)
    assert (found.kind, found.label, found.accepted) == (kind, label, False)
    assert found.kind in RAW_KINDS
    assert sniff.MEDIA_TYPES[found.mime].family == "raw" and found.extension == kind


def test_a_real_dng_is_a_dng(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "IMG_1.DNG")
    assert sniff.detect(path.read_bytes()[: sniff.SNIFF_BYTES]).kind == "dng"


def test_plain_tiffs_stay_tiffs() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "TIFF")
    assert sniff.detect(buffer.getvalue()).kind == "tiff"
    # A camera maker alone (an export from a Nikon scanner or camera) is not a raw file.
    assert classify_tiff_raw(camera_tiff("NIKON CORPORATION", with_sub_ifds=False)) is None
    assert sniff.detect(camera_tiff("Canon", with_sub_ifds=True)).kind == "tiff"
    assert raw_signature(b"\xff\xd8\xff\xe0") is None


def test_ifd0_tags_survive_truncated_and_hostile_heads() -> None:
    head = camera_tiff("NIKON CORPORATION")
    assert set(ifd0_tags(head)) == {0x010F, 0x014A}
    assert ifd0_tags(head[:12]) == {}  # cut inside the first entry
    assert ifd0_tags(b"II*\x00\xff\xff\xff\xff") == {}  # IFD offset beyond the head
    pointing_away = tiff_head([(0x010F, 2, 40, struct.pack("<I", 10_000)), (0x014A, 4, 1, b"\x00" * 4)])
    assert classify_tiff_raw(pointing_away) is None  # Make's text beyond the head reads as empty
