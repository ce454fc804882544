"""Finding the EXIF payload and the XMP packet inside image containers ourselves.

Used when exifread finds nothing or fails: exifread misses WebP EXIF chunks without the
"Exif\\0\\0" prefix, PNG text-chunk EXIF, some HEIF brands, and AVIF.  For JPEG the segment list
is walked with the one JPEG segment reader (:mod:`gallery.media.jpeg`).  Every walk charges a
:class:`~gallery.media.metadata.limits.ReadBudget`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Final

from PIL import Image

from gallery.media import jpeg
from gallery.media.metadata.limits import ReadBudget

__all__ = ["Embedded", "embedded_blobs", "tiff_from_blob"]

_MAX_CHUNK: Final[int] = 16 * 1024 * 1024
_MAX_INFLATED: Final[int] = 4 * 1024 * 1024


@dataclass
class Embedded:
    """The raw EXIF payload and XMP packet found in a container (None: not found)."""

    exif: bytes | None = None
    xmp: bytes | None = None


def tiff_from_blob(blob: bytes | None) -> bytes | None:
    """Turn an EXIF payload ("Exif\\0\\0" + TIFF, or bare TIFF) into bare TIFF bytes."""
    if not blob:
        return None
    for start in range(min(len(blob) - 3, 16)):
        if blob[start : start + 4] in (b"II*\x00", b"MM\x00*"):
            return blob[start:]
    return None


def _png_chunks(raw: IO[bytes], budget: ReadBudget) -> Iterator[tuple[bytes, bytes]]:
    raw.seek(0)
    if raw.read(8) != b"\x89PNG\r\n\x1a\n":
        return
    for _ in range(100_000):
        budget.charge()
        header = raw.read(8)
        if len(header) < 8:
            return
        length, ctype = struct.unpack(">I4s", header)
        if ctype == b"IEND":
            return
        if ctype in (b"eXIf", b"tEXt", b"zTXt", b"iTXt") and length <= _MAX_CHUNK:
            data = raw.read(length)
            budget.charge(len(data))
            raw.seek(4, 1)
            yield ctype, data
        else:
            raw.seek(length + 4, 1)


def _riff_chunks(raw: IO[bytes], budget: ReadBudget) -> Iterator[tuple[bytes, bytes]]:
    raw.seek(0)
    header = raw.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return
    for _ in range(10_000):
        budget.charge()
        chunk = raw.read(8)
        if len(chunk) < 8:
            return
        ctype, length = chunk[:4], struct.unpack("<I", chunk[4:8])[0]
        if ctype in (b"EXIF", b"XMP ") and length <= _MAX_CHUNK:
            data = raw.read(length)
            budget.charge(len(data))
            if length % 2:
                raw.seek(1, 1)
            yield ctype, data
        else:
            raw.seek(length + (length % 2), 1)


def _bounded_inflate(data: bytes, limit: int = _MAX_INFLATED) -> bytes | None:
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, limit)
    except zlib.error:
        return None
    return out if not inflater.unconsumed_tail else None


def _png_text(ctype: bytes, data: bytes) -> tuple[str, bytes] | None:
    """(keyword, payload) of a PNG text chunk; payload decompressed (bounded)."""
    keyword, sep, rest = data.partition(b"\x00")
    if not sep:
        return None
    key = keyword.decode("latin-1")
    if ctype == b"tEXt":
        return key, rest
    if ctype == b"zTXt":
        if key.lower() not in ("raw profile type exif", "raw profile type app1", "exif"):
            return None
        inflated = _bounded_inflate(rest[1:])
        return (key, inflated) if inflated is not None else None
    # iTXt: flag, method, language\0, translated keyword\0, text
    if len(rest) < 2:
        return None
    compressed = rest[0] == 1
    parts = rest[2:].split(b"\x00", 2)
    if len(parts) < 3:
        return None
    text = parts[2]
    if compressed:
        inflated = _bounded_inflate(text)
        if inflated is None:
            return None
        text = inflated
    return key, text


def _imagemagick_profile(payload: bytes) -> bytes | None:
    """Decode ImageMagick's "Raw profile type ..." hex dump ("\\nexif\\n  len\\nhex...")."""
    lines = payload.strip().split(b"\n", 2)
    if len(lines) < 3:
        return None
    try:
        length = int(lines[1].strip())
        data = bytes.fromhex(lines[2].decode("ascii").replace("\n", "").replace(" ", ""))
    except (ValueError, UnicodeDecodeError):
        return None
    return data[:length] if length <= len(data) else data


def _from_jpeg(raw: IO[bytes], budget: ReadBudget, found: Embedded) -> None:
    for marker, payload in jpeg.header_segments(raw, max_bytes=budget.max_bytes, charge=budget.charge):
        if marker != 0xE1:
            continue
        if payload.startswith(jpeg.EXIF_HEADER) and found.exif is None:
            found.exif = payload[len(jpeg.EXIF_HEADER) + 1 :]
        elif payload.startswith(jpeg.XMP_HEADER):
            found.xmp = found.xmp or payload[len(jpeg.XMP_HEADER) :]


def _from_webp(raw: IO[bytes], budget: ReadBudget, found: Embedded) -> None:
    for ctype, data in _riff_chunks(raw, budget):
        if ctype == b"EXIF" and found.exif is None:
            found.exif = data
        elif ctype == b"XMP " and found.xmp is None:
            found.xmp = data


def _from_png(raw: IO[bytes], budget: ReadBudget, found: Embedded) -> None:
    for ctype, data in _png_chunks(raw, budget):
        if ctype == b"eXIf":
            found.exif = found.exif or data
            continue
        text = _png_text(ctype, data)
        if text is None:
            continue
        key, payload = text
        lowered = key.lower()
        if lowered == "xml:com.adobe.xmp":
            found.xmp = found.xmp or payload
        elif lowered == "exif" and found.exif is None:
            found.exif = payload
        elif lowered in ("raw profile type exif", "raw profile type app1") and found.exif is None:
            found.exif = _imagemagick_profile(payload)


def embedded_blobs(kind: str, raw: IO[bytes], budget: ReadBudget) -> Embedded:
    """The EXIF payload and XMP packet of a ``kind`` file (see :mod:`gallery.media.sniff`)."""
    found = Embedded()
    if kind == "jpeg":
        _from_jpeg(raw, budget, found)
    elif kind == "webp":
        _from_webp(raw, budget, found)
    elif kind == "png":
        _from_png(raw, budget, found)
    elif kind in ("heic", "heif"):
        raw.seek(0)
        import pillow_heif  # a Pillow plugin; loaded on need

        heif = pillow_heif.open_heif(raw, convert_hdr_to_8bit=False)
        found.exif = heif.info.get("exif") or None
        found.xmp = heif.info.get("xmp") or None
    elif kind == "avif":
        raw.seek(0)
        with Image.open(raw, formats=["AVIF"]) as im:
            found.exif = im.info.get("exif") or None
            found.xmp = im.info.get("xmp") or None
    return found
