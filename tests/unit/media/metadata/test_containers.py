"""EXIF and XMP payloads found in containers (gallery.media.metadata.containers)."""

from __future__ import annotations

import io
import struct
import time
import zlib

from PIL import Image, PngImagePlugin

from gallery.media.jpeg import EXIF_HEADER, XMP_HEADER, build_segment
from gallery.media.metadata.containers import embedded_blobs, tiff_from_blob
from gallery.media.metadata.limits import ReadBudget

TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 6


def _budget() -> ReadBudget:
    return ReadBudget(time.monotonic() + 10, 10_000, 1 << 24)


def test_tiff_from_blob() -> None:
    assert tiff_from_blob(b"Exif\x00\x00" + TIFF) == TIFF
    assert tiff_from_blob(TIFF) == TIFF
    assert tiff_from_blob(b"no tiff here at all") is None and tiff_from_blob(None) is None


def test_jpeg_app1_segments() -> None:
    data = (
        b"\xff\xd8"
        + build_segment(0xE1, EXIF_HEADER + b"\x00" + TIFF)
        + build_segment(0xE1, XMP_HEADER + b"<x:xmpmeta/>")
        + build_segment(0xDA, b"\x00" * 6)
    )
    found = embedded_blobs("jpeg", io.BytesIO(data), _budget())
    assert found.exif == TIFF and found.xmp == b"<x:xmpmeta/>"


def test_webp_chunks_without_the_exif_prefix() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")

    body = b"WEBP" + chunk(b"VP8 ", b"\x00" * 10) + chunk(b"EXIF", TIFF) + chunk(b"XMP ", b"<x/>")
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    found = embedded_blobs("webp", io.BytesIO(data), _budget())
    assert found.exif == TIFF and found.xmp == b"<x/>"


def _png(info: PngImagePlugin.PngInfo) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "PNG", pnginfo=info)
    buffer.seek(0)
    return buffer


def test_png_text_chunks_xmp_and_imagemagick_hex_profile() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta/>", zip=True)
    hexdump = "\nexif\n" + f"{len(TIFF):8d}\n" + TIFF.hex()
    info.add(b"zTXt", b"Raw profile type exif\x00\x00" + zlib.compress(hexdump.encode()))
    found = embedded_blobs("png", _png(info), _budget())
    assert found.xmp == b"<x:xmpmeta/>" and found.exif == TIFF


def test_png_bomb_in_a_compressed_chunk_is_not_inflated() -> None:
    info = PngImagePlugin.PngInfo()
    info.add(b"zTXt", b"exif\x00\x00" + zlib.compress(b"\x00" * (8 * 1024 * 1024)))
    assert embedded_blobs("png", _png(info), _budget()).exif is None


def test_unknown_kinds_and_wrong_signatures_find_nothing() -> None:
    for kind in ("gif", "jpeg", "png", "webp"):
        found = embedded_blobs(kind, io.BytesIO(b"GIF89a" + b"\x00" * 20), _budget())
        assert found.exif is None and found.xmp is None
