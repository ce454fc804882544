"""Photo metadata: reading EXIF and XMP, and interpreting capture time, camera and GPS.

Two layers:

* :func:`read_metadata` does the I/O.  It reads EXIF with exifread and the XMP packet
  with a bounded byte search, never raises for bad metadata, and never runs longer than
  its time budget (exifread is known to loop on hostile files; the file object it gets
  is wrapped in a reader that stops it deterministically after a number of reads or
  bytes, or after the deadline).  The result is a plain :class:`RawMetadata` value.
* :func:`capture_time`, :func:`camera_info`, :func:`gps` and :func:`apply_clock_offset`
  are pure functions of that value.

Capture time order (first usable value wins; invalid values are skipped):

1. EXIF DateTimeOriginal (+ SubSecTimeOriginal, + OffsetTimeOriginal)  -> ``exif_original``
2. EXIF DateTimeDigitized (+ SubSecTimeDigitized, + OffsetTimeDigitized) -> ``exif_digitized``
3. IFD0 DateTime (+ SubSecTime, + OffsetTime)                          -> ``exif_datetime``
4. XMP exif:DateTimeOriginal, then xmp:CreateDate, then photoshop:DateCreated -> ``xmp``
   (never xmp:ModifyDate or xmp:MetadataDate; a date without a time is skipped)
5. nothing                                                            -> ``upload``

A time without an offset is read in the event's time zone.  A wall time that does not
exist there (spring-forward gap) or exists twice (fall-back hour) is resolved the way
``zoneinfo`` resolves it with ``fold=0`` and flagged, never rejected.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
import struct
import time
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import IO, Any, BinaryIO, Final, Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import exifread

# exifread logs every oddity of every file as a warning; keep that out of stderr unless
# the application configures logging for it (a NullHandler is what libraries should add).
logging.getLogger("exifread").addHandler(logging.NullHandler())

__all__ = [
    "CaptureSource",
    "CaptureTime",
    "CameraInfo",
    "ExifScalar",
    "ExifValue",
    "GpsPosition",
    "RawMetadata",
    "apply_clock_offset",
    "camera_info",
    "capture_time",
    "gps",
    "parse_xmp_packet",
    "read_metadata",
]

ExifScalar: TypeAlias = str | int | float | Fraction | bytes
ExifValue: TypeAlias = ExifScalar | tuple[ExifScalar, ...]
CaptureSource = Literal["exif_original", "exif_digitized", "exif_datetime", "xmp", "upload"]

#: How far into a file the XMP packet is searched for.
XMP_SCAN_BYTES: Final[int] = 32 * 1024 * 1024
#: ... in a JPEG whose segment list had no XMP segment (XMP precedes the image data).
JPEG_XMP_SCAN_BYTES: Final[int] = 1024 * 1024
#: Largest XMP packet that is parsed.
XMP_MAX_PACKET: Final[int] = 4 * 1024 * 1024
#: exifread may make at most this many read/seek/tell calls in its main pass (real
#: camera files need a few thousand; hostile files that loop hit this long before the
#: time budget, so the outcome does not depend on the machine's speed) ...
EXIF_MAX_CALLS: Final[int] = 50_000
#: ... and in the optional maker-note pass ...
EXIF_DETAIL_MAX_CALLS: Final[int] = 30_000
#: ... and read at most this many bytes per pass.
EXIF_MAX_BYTES: Final[int] = 16 * 1024 * 1024

_EXIF_VALUE_MAX_ITEMS: Final[int] = 4096
_EXIF_SKIP_KEYS: Final = frozenset({"JPEGThumbnail", "TIFFThumbnail", "EXIF MakerNote"})


# ======================================================================================
# Values


@dataclass(frozen=True)
class RawMetadata:
    """Everything :func:`read_metadata` found, as plain values.

    ``exif`` is keyed like exifread ("Image Make", "EXIF DateTimeOriginal",
    "GPS GPSLatitude", "MakerNote SerialNumber"); values are ``str`` (ASCII),
    ``int``, ``float``, ``Fraction`` (rationals), ``bytes`` (BYTE/UNDEFINED arrays) or tuples
    of those for multi-valued tags.  ``xmp`` is keyed "prefix:Name" with the standard
    prefixes (dc, xmp, exif, exifEX, tiff, photoshop, xmpRights, Iptc4xmpCore, aux, ...)
    whatever prefix the file used; values are tuples of strings (for a language
    alternative, the x-default entry comes first).  ``exif_ok`` is False when an EXIF
    block was present but could not be read (then ``exif_error`` says why, starting
    "EXIF unreadable: "); a file without EXIF has ``exif_ok`` True and an empty ``exif``.
    """

    kind: str
    exif: Mapping[str, ExifValue] = field(default_factory=dict)
    xmp: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exif_ok: bool = True
    exif_error: str | None = None
    xmp_ok: bool = True
    xmp_error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaptureTime:
    """When a photo was taken, and where that knowledge came from.

    ``taken_at_utc`` is aware UTC, ``taken_at_local`` aware with the fixed offset that
    applied (both None when ``source == "upload"``).  ``raw_value`` is the date-time string
    exactly as found in the file; ``raw_subsec`` and ``raw_offset`` the companion EXIF
    sub-second and offset strings that were used.  ``source_tag`` names the field
    ("EXIF DateTimeOriginal", "xmp:CreateDate").  ``clock_offset`` is the total camera
    clock correction applied by :func:`apply_clock_offset`.

    Flags: ``offset_from_exif`` / ``offset_from_xmp`` (the file said which offset applied),
    ``naive_in_event_tz`` (no offset in the file; the event's zone was used),
    ``nonexistent_local_time`` (wall time in a spring-forward gap),
    ``ambiguous_local_time`` (wall time in a fall-back hour), ``invalid_offset_ignored``,
    ``invalid_value_skipped`` (an earlier source held garbage), ``clock_corrected``.
    """

    taken_at_utc: datetime | None
    taken_at_local: datetime | None
    source: CaptureSource
    raw_value: str | None
    flags: frozenset[str] = frozenset()
    source_tag: str | None = None
    raw_subsec: str | None = None
    raw_offset: str | None = None
    clock_offset: timedelta | None = None


@dataclass(frozen=True)
class CameraInfo:
    """Camera and exposure facts (strings cleaned, at most 255 characters)."""

    make: str | None = None
    model: str | None = None
    serial: str | None = None
    lens: str | None = None
    lens_make: str | None = None
    focal_length_mm: float | None = None
    aperture: float | None = None
    exposure_time: str | None = None
    iso: int | None = None
    orientation: int | None = None


@dataclass(frozen=True)
class GpsPosition:
    """A position in decimal degrees (WGS 84) and metres above sea level.  Private data."""

    latitude: float
    longitude: float
    altitude: float | None = None


# ======================================================================================
# Reading: the budget


class _BudgetExceeded(Exception):
    """Raised inside exifread when the reader's budget is spent (private)."""


class _Budget:
    def __init__(self, deadline: float, max_calls: int, max_bytes: int) -> None:
        self.deadline = deadline
        self.max_calls = max_calls
        self.max_bytes = max_bytes
        self.calls = 0
        self.bytes = 0

    def charge(self, nbytes: int = 0) -> None:
        self.calls += 1
        self.bytes += nbytes
        if self.calls > self.max_calls:
            raise _BudgetExceeded(f"more than {self.max_calls} reads")
        if self.bytes > self.max_bytes:
            raise _BudgetExceeded(f"more than {self.max_bytes} bytes read")
        if (self.calls & 63 == 0 or nbytes > 65536) and time.monotonic() > self.deadline:
            raise _BudgetExceeded("time budget exceeded")

    def remaining_bytes(self) -> int:
        return max(0, self.max_bytes - self.bytes)


class _BudgetedReader(io.RawIOBase):
    """A read-only file wrapper that raises :class:`_BudgetExceeded` when over budget."""

    def __init__(self, raw: IO[bytes], budget: _Budget) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        cap = self._budget.remaining_bytes() + 1
        want = cap if size is None or size < 0 else min(size, cap)
        data = self._raw.read(want)
        self._budget.charge(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = 1 << 16 if size is None or size < 0 else size
        out = bytearray()
        while len(out) < limit:
            chunk = self.read(1)
            if not chunk:
                break
            out += chunk
            if chunk == b"\n":
                break
        return bytes(out)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._budget.charge()
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        self._budget.charge()
        return self._raw.tell()


# ======================================================================================
# Reading: EXIF


def _decode_text_bytes(data: bytes) -> str:
    data = data.split(b"\x00", 1)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


class _InvalidValue(Exception):
    pass


def _convert_scalar(value: Any) -> ExifScalar:
    if isinstance(value, Fraction):
        # exifread's Ratio keeps x/0 as a broken Fraction; such a value is unusable.
        num, den = value.numerator, value.denominator
        if den == 0:
            raise _InvalidValue
        return Fraction(num, den)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, tuple) and len(value) == 1 and isinstance(value[0], float):
        return value[0]  # exifread stores floats as 1-tuples from struct.unpack
    raise _InvalidValue


def _convert_tag(tag: Any) -> ExifValue | None:
    values = getattr(tag, "values", tag)
    field_type = int(getattr(tag, "field_type", 0) or 0)
    try:
        if isinstance(values, str):
            return values
        if isinstance(values, (bytes, bytearray)):
            return _decode_text_bytes(bytes(values)) if field_type == 2 else bytes(values)
        if not isinstance(values, (list, tuple)):
            return _convert_scalar(values)
        if len(values) > _EXIF_VALUE_MAX_ITEMS or not values:
            return None
        if field_type in (1, 6, 7) and len(values) > 1 and all(
            isinstance(v, int) and 0 <= v <= 255 for v in values
        ):
            return bytes(values)
        if field_type in (1, 7) and len(values) > 1 and all(
            isinstance(v, int) and -128 <= v <= 255 for v in values
        ):
            return bytes(v & 0xFF for v in values)
        converted = tuple(_convert_scalar(v) for v in values)
    except _InvalidValue:
        return None
    return converted[0] if len(converted) == 1 else converted


def _convert_tags(tags: Mapping[str, Any]) -> dict[str, ExifValue]:
    out: dict[str, ExifValue] = {}
    for key, tag in tags.items():
        if key in _EXIF_SKIP_KEYS or not isinstance(key, str):
            continue
        value = _convert_tag(tag)
        if value is not None:
            out[key] = value
    return out


def _run_exifread(raw: IO[bytes], budget: _Budget, *, details: bool) -> dict[str, ExifValue]:
    reader = _BudgetedReader(raw, budget)
    tags = exifread.process_file(
        reader,  # type: ignore[arg-type]
        details=details,
        strict=False,
        debug=False,
        extract_thumbnail=False,
        truncate_tags=True,
        auto_seek=True,
    )
    return _convert_tags(tags)


def _describe(err: BaseException) -> str:
    if isinstance(err, _BudgetExceeded):
        return f"EXIF unreadable: gave up ({err})"
    if isinstance(err, RecursionError):
        return "EXIF unreadable: IFD structure loops"
    text = str(err).strip()
    if len(text) > 200:
        text = text[:200] + "…"
    return f"EXIF unreadable: {type(err).__name__}" + (f": {text}" if text else "")


def _tiff_from_blob(blob: bytes | None) -> bytes | None:
    """Turn an EXIF payload ("Exif\\0\\0" + TIFF, or bare TIFF) into bare TIFF bytes."""
    if not blob:
        return None
    for start in range(0, min(len(blob) - 3, 16)):
        if blob[start : start + 4] in (b"II*\x00", b"MM\x00*"):
            return blob[start:]
    return None


def _jpeg_segments(raw: IO[bytes], budget: _Budget) -> Iterable[tuple[int, bytes]]:
    """(marker, payload) for the JPEG segments before the image data."""
    raw.seek(0)
    if raw.read(2) != b"\xff\xd8":
        return
    for _ in range(1000):
        budget.charge()
        byte = raw.read(1)
        while byte == b"\xff":
            nxt = raw.read(1)
            if nxt != b"\xff":
                byte = b"\xff" + nxt
                break
        else:
            # junk between segments: resynchronise on the next 0xFF
            if not byte:
                return
            continue
        marker = byte[1] if len(byte) == 2 else 0
        if marker in (0xD9, 0xDA) or marker == 0:  # EOI, SOS: no more metadata
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        length_bytes = raw.read(2)
        if len(length_bytes) < 2:
            return
        length = struct.unpack(">H", length_bytes)[0]
        if length < 2:
            return
        payload = raw.read(length - 2)
        budget.charge(len(payload))
        yield marker, payload


def _png_chunks(raw: IO[bytes], budget: _Budget) -> Iterable[tuple[bytes, bytes]]:
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
        if ctype in (b"eXIf", b"tEXt", b"zTXt", b"iTXt") and length <= 16 * 1024 * 1024:
            data = raw.read(length)
            budget.charge(len(data))
            raw.seek(4, 1)
            yield ctype, data
        else:
            raw.seek(length + 4, 1)


def _riff_chunks(raw: IO[bytes], budget: _Budget) -> Iterable[tuple[bytes, bytes]]:
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
        if ctype in (b"EXIF", b"XMP ") and length <= 16 * 1024 * 1024:
            data = raw.read(length)
            budget.charge(len(data))
            if length % 2:
                raw.seek(1, 1)
            yield ctype, data
        else:
            raw.seek(length + (length % 2), 1)


def _bounded_inflate(data: bytes, limit: int = 4 * 1024 * 1024) -> bytes | None:
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


@dataclass
class _Embedded:
    exif: bytes | None = None
    xmp: bytes | None = None


def _embedded_blobs(kind: str, raw: IO[bytes], budget: _Budget) -> _Embedded:
    """Find the EXIF payload and XMP packet inside the container ourselves.

    Used when exifread finds nothing or fails: exifread misses WebP EXIF chunks without
    the "Exif\\0\\0" prefix, PNG text-chunk EXIF, some HEIF brands, and AVIF.
    """
    found = _Embedded()
    if kind == "jpeg":
        for marker, payload in _jpeg_segments(raw, budget):
            if marker == 0xE1 and payload.startswith(b"Exif\x00") and found.exif is None:
                found.exif = payload[6:]
            elif marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
                found.xmp = found.xmp or payload[29:]
    elif kind == "webp":
        for ctype, data in _riff_chunks(raw, budget):
            if ctype == b"EXIF" and found.exif is None:
                found.exif = data
            elif ctype == b"XMP " and found.xmp is None:
                found.xmp = data
    elif kind == "png":
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
    elif kind in ("heic", "heif"):
        raw.seek(0)
        import pillow_heif  # noqa: PLC0415 - pillow_heif is a Pillow plugin; loaded on need

        heif = pillow_heif.open_heif(raw, convert_hdr_to_8bit=False)
        found.exif = heif.info.get("exif") or None
        found.xmp = heif.info.get("xmp") or None
    elif kind == "avif":
        raw.seek(0)
        from PIL import Image  # noqa: PLC0415

        with Image.open(raw, formats=["AVIF"]) as im:
            found.exif = im.info.get("exif") or None
            found.xmp = im.info.get("xmp") or None
    return found


# ======================================================================================
# Reading: XMP

_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
_XMP_PREFIXES: Final[dict[str, str]] = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.adobe.com/lightroom/1.0/": "lr",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.microsoft.com/photo/1.0/": "MicrosoftPhoto",
    "http://ns.microsoft.com/photo/1.0": "MicrosoftPhoto",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/": "xmpDM",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
}
# "x:xmpmeta" is the standard wrapper; "x:xapmeta" is the pre-2002 one; Windows Photo
# Gallery writes "xmp:xmpmeta".
_XMP_OPEN: Final = (b"<x:xmpmeta", b"<x:xapmeta", b"<xmp:xmpmeta")
_XMP_CLOSE: Final = {
    b"<x:xmpmeta": b"</x:xmpmeta>",
    b"<x:xapmeta": b"</x:xapmeta>",
    b"<xmp:xmpmeta": b"</xmp:xmpmeta>",
}
_XMP_REJECT = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)


class _XmpRejected(ValueError):
    pass


def _scan_xmp(raw: IO[bytes], budget: _Budget, limit: int = XMP_SCAN_BYTES) -> bytes | None:
    """Return the first complete ``<x:xmpmeta>...</x:xmpmeta>`` packet in the file."""
    raw.seek(0)
    chunk_size = 1 << 20
    keep = max(len(m) for m in _XMP_OPEN) - 1
    buf = b""
    opener: bytes | None = None
    total = 0
    while total < limit:
        budget.charge()
        chunk = raw.read(min(chunk_size, limit - total))
        if not chunk:
            return None
        total += len(chunk)
        buf += chunk
        if opener is None:
            hits = [(buf.find(m), m) for m in _XMP_OPEN]
            hits = [h for h in hits if h[0] >= 0]
            if not hits:
                buf = buf[-keep:]
                continue
            pos, opener = min(hits)
            buf = buf[pos:]
        close = _XMP_CLOSE[opener]
        end = buf.find(close)
        if end >= 0:
            return buf[: end + len(close)]
        if len(buf) > XMP_MAX_PACKET:
            return None
    return None


def _trim_packet(data: bytes) -> bytes:
    """The ``<x:xmpmeta>...</x:xmpmeta>`` part of an XMP payload, or the payload itself."""
    for opener in _XMP_OPEN:
        start = data.find(opener)
        if start >= 0:
            end = data.find(_XMP_CLOSE[opener], start)
            if end >= 0:
                return data[start : end + len(_XMP_CLOSE[opener])]
    return data


def _xmp_key(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    uri, _, local = tag[1:].partition("}")
    if uri in (_RDF, _XML_NS):
        return None
    prefix = _XMP_PREFIXES.get(uri)
    return f"{prefix}:{local}" if prefix else f"{{{uri}}}{local}"


def _xmp_value(prop: ET.Element) -> tuple[str, ...] | None:
    for container in ("Alt", "Seq", "Bag"):
        node = prop.find(f"{{{_RDF}}}{container}")
        if node is None:
            continue
        items: list[tuple[bool, str]] = []
        for li in node.findall(f"{{{_RDF}}}li"):
            text = li.text if len(li) == 0 else li.get(f"{{{_RDF}}}value", li.text)
            if text is None:
                continue
            is_default = li.get(f"{{{_XML_NS}}}lang", "").lower() == "x-default"
            items.append((is_default, text))
        if container == "Alt":
            items.sort(key=lambda item: not item[0])  # stable: x-default first
        return tuple(text for _, text in items)
    resource = prop.get(f"{{{_RDF}}}resource")
    if resource is not None:
        return (resource,)
    if len(prop) == 0:
        return (prop.text or "",)
    return None  # a structure; not needed here


def parse_xmp_packet(packet: bytes | str) -> dict[str, tuple[str, ...]]:
    """Parse an XMP packet into {"prefix:Name": values}.

    Refuses (raises ``ValueError``) packets with a DOCTYPE or ENTITY declaration, so
    entity expansion attacks never reach the parser; raises ``ValueError`` when the XML is
    not well formed.  Only top-level ``rdf:Description`` properties are read (not the
    nested descriptions of derived-from or pantry documents).
    """
    data = packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)
    if len(data) > XMP_MAX_PACKET:
        raise ValueError("XMP packet too large")
    if _XMP_REJECT.search(data):
        raise _XmpRejected("XMP packet with DOCTYPE/ENTITY declaration ignored")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        try:
            root = ET.fromstring(data.decode("utf-8", errors="replace").encode("utf-8"))
        except ET.ParseError as err:
            raise ValueError(f"XMP not well formed: {err}") from err
    props: dict[str, tuple[str, ...]] = {}
    rdf_nodes = [root] if root.tag == f"{{{_RDF}}}RDF" else list(root.iter(f"{{{_RDF}}}RDF"))
    for rdf in rdf_nodes:
        for desc in rdf.findall(f"{{{_RDF}}}Description"):
            for attr, value in desc.attrib.items():
                key = _xmp_key(attr)
                if key is not None:
                    props.setdefault(key, (value,))
            for prop in desc:
                key = _xmp_key(prop.tag)
                if key is None:
                    continue
                values = _xmp_value(prop)
                if values is not None:
                    props.setdefault(key, values)
    return props


# ======================================================================================
# Reading: entry point


def read_metadata(
    fp: BinaryIO | str | os.PathLike[str],
    *,
    kind: str,
    time_budget: float = 2.0,
) -> RawMetadata:
    """Read EXIF and XMP from an image file (path or binary file object).

    ``kind`` is the sniffed type (see :mod:`gallery.media.sniff`).  Never raises because of
    the file's content: unreadable metadata comes back as ``exif_ok=False`` /
    ``xmp_ok=False`` with a reason.  Stops after ``time_budget`` seconds at the latest (and
    earlier, deterministically, when exifread reads more than :data:`EXIF_MAX_CALLS` times
    or :data:`EXIF_MAX_BYTES` bytes).  A file object's position is restored afterwards.
    """
    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "rb") as handle:
            return _read_metadata(handle, kind, time_budget)
    try:
        position: int | None = fp.tell()
    except (OSError, ValueError):
        position = None
    try:
        return _read_metadata(fp, kind, time_budget)
    finally:
        if position is not None:
            with contextlib.suppress(OSError, ValueError):
                fp.seek(position)


def _read_metadata(raw: IO[bytes], kind: str, time_budget: float) -> RawMetadata:
    start = time.monotonic()
    deadline = start + max(0.0, time_budget)
    warnings: list[str] = []

    def budget(share: float = 1.0, max_calls: int = EXIF_MAX_CALLS) -> _Budget:
        now = time.monotonic()
        return _Budget(now + max(0.0, deadline - now) * share, max_calls, EXIF_MAX_BYTES)

    # --- EXIF, core pass (no maker notes)
    exif: dict[str, ExifValue] = {}
    exif_error: str | None = None
    bigtiff = False
    gave_up = False  # exifread ran out of budget: reading the same bytes again would too
    from_blob = False  # EXIF came from a payload we extracted, not from exifread's own search
    if kind == "tiff":
        raw.seek(0)
        bigtiff = raw.read(4) in (b"II+\x00", b"MM\x00+")
    if bigtiff:
        warnings.append("BigTIFF: EXIF not read (not supported by exifread)")
    else:
        try:
            exif = _run_exifread(raw, budget(0.6), details=False)
        except Exception as err:  # noqa: BLE001 - exifread raises anything on bad input
            exif_error = _describe(err)
            gave_up = isinstance(err, _BudgetExceeded)

    # --- JPEG: walk the segments (cheap and exact: XMP and EXIF live in APP1 before SOS)
    embedded = _Embedded()
    walked = False
    if kind == "jpeg":
        try:
            embedded = _embedded_blobs(kind, raw, budget(0.5))
            walked = True
        except Exception as err:  # noqa: BLE001 - a broken segment list is reported, not raised
            warnings.append(f"JPEG segment walk failed: {type(err).__name__}")

    # --- XMP: the JPEG segment, else a bounded search of the file's bytes
    packet: bytes | None = None
    xmp_error: str | None = None
    if walked and embedded.xmp is not None:
        packet = _trim_packet(embedded.xmp)
    else:
        # (after a JPEG walk that found no XMP segment, only the metadata area is searched)
        limit = JPEG_XMP_SCAN_BYTES if walked else XMP_SCAN_BYTES
        try:
            packet = _scan_xmp(raw, _Budget(deadline, EXIF_MAX_CALLS, limit + 1), limit)
        except _BudgetExceeded as err:
            xmp_error = f"XMP unreadable: gave up ({err})"
        except (OSError, ValueError) as err:
            xmp_error = f"XMP unreadable: {type(err).__name__}"

    # --- containers exifread does not fully understand (and XMP in compressed chunks)
    if not walked and (
        (not exif and not bigtiff) or (packet is None and kind in ("heic", "heif", "avif", "png", "webp"))
    ):
        try:
            embedded = _embedded_blobs(kind, raw, budget(0.5))
        except Exception as err:  # noqa: BLE001 - plugins raise anything on bad input
            warnings.append(f"container walk failed: {type(err).__name__}")
    if not exif and not gave_up:
        tiff = _tiff_from_blob(embedded.exif)
        if tiff is not None:
            try:
                exif = _run_exifread(io.BytesIO(tiff), budget(0.6), details=False)
            except Exception as err:  # noqa: BLE001
                exif_error = exif_error or _describe(err)
            else:
                if exif:
                    warnings.append("EXIF read from the embedded EXIF payload")
                    exif_error = None
                    from_blob = True
    if packet is None and embedded.xmp:
        packet = _trim_packet(embedded.xmp)

    # --- EXIF, detail pass (maker notes, user comment); a failure here costs nothing
    if exif and exif_error is None and not from_blob and "Image Make" in exif:
        try:
            detailed = _run_exifread(raw, budget(0.5, EXIF_DETAIL_MAX_CALLS), details=True)
        except Exception as err:  # noqa: BLE001
            warnings.append("maker notes " + _describe(err)[len("EXIF ") :])
        else:
            for key, value in detailed.items():
                exif.setdefault(key, value)

    # --- XMP parse
    xmp: dict[str, tuple[str, ...]] = {}
    if packet is not None:
        try:
            xmp = parse_xmp_packet(packet)
        except _XmpRejected as err:
            xmp_error = str(err)
        except ValueError as err:
            xmp_error = f"XMP unreadable: {err}"

    return RawMetadata(
        kind=kind,
        exif=exif,
        xmp=xmp,
        exif_ok=exif_error is None,
        exif_error=exif_error,
        xmp_ok=xmp_error is None,
        xmp_error=xmp_error,
        warnings=tuple(warnings),
    )


# ======================================================================================
# Interpretation helpers


def _first(raw: RawMetadata, *keys: str) -> ExifValue | None:
    for key in keys:
        value = raw.exif.get(key)
        if value is not None and value != "" and value != ():
            return value
    return None


def _as_text(value: ExifValue | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return _decode_text_bytes(value)
    if isinstance(value, tuple):
        if all(isinstance(v, int) for v in value):
            return None
        return " ".join(str(v) for v in value)
    return str(value)


def _xmp_first(raw: RawMetadata, key: str) -> str | None:
    values = raw.xmp.get(key)
    if not values:
        return None
    return values[0]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _clean_short(value: str | None, cap: int = 255) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", value))
    text = " ".join(text.split())
    return text[:cap] or None


# ======================================================================================
# Capture time

_DATETIME_RE: Final = re.compile(
    r"""^\s*
    (?P<y>\d{4})[:\-/.](?P<mo>\d{1,2})[:\-/.](?P<d>\d{1,2})
    (?:[\sT]+(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?(?:[.,](?P<frac>\d+))?)?
    \s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?
    \s*$""",
    re.VERBOSE,
)
_OFFSET_RE: Final = re.compile(r"^\s*(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<h>\d{2})(?::?(?P<m>\d{2}))?)\s*$")
_MAX_OFFSET: Final = timedelta(hours=14)


@dataclass(frozen=True)
class _Parsed:
    wall: datetime  # naive
    offset: timedelta | None
    had_fraction: bool


def _parse_offset(text: str | None) -> timedelta | None:
    """Parse "+05:45", "-0330", "Z"; None for blanks and anything invalid."""
    if not text:
        return None
    match = _OFFSET_RE.match(text.replace("\x00", ""))
    if match is None:
        return None
    if match.group("z"):
        return timedelta(0)
    hours, minutes = int(match.group("h")), int(match.group("m") or 0)
    if minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    if offset > _MAX_OFFSET:
        return None
    return -offset if match.group("sign") == "-" else offset


def _microseconds(digits: str) -> int:
    return int((digits + "000000")[:6])


def _parse_datetime(text: str | None) -> _Parsed | None:
    """Parse an EXIF or ISO 8601 date-time; None for blanks, zeros, dates without time."""
    if not text:
        return None
    match = _DATETIME_RE.match(text.replace("\x00", " "))
    if match is None or match.group("h") is None:
        return None
    try:
        wall = datetime(
            int(match.group("y")),
            int(match.group("mo")),
            int(match.group("d")),
            int(match.group("h")),
            int(match.group("mi")),
            int(match.group("s") or 0),
            _microseconds(match.group("frac") or ""),
        )
    except ValueError:
        return None
    if wall.year < 1800:
        return None
    tz_text = match.group("tz")
    offset = _parse_offset(tz_text) if tz_text else None
    if tz_text and offset is None:
        return None
    return _Parsed(wall=wall, offset=offset, had_fraction=match.group("frac") is not None)


def _zone(event_tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(event_tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
        raise ValueError(f"unknown time zone: {event_tz!r}") from err


def _localize(wall: datetime, zone: ZoneInfo) -> tuple[datetime, set[str]]:
    """Aware datetime for a naive wall time in ``zone`` (fold=0), with gap/fold flags."""
    flags: set[str] = set()
    first = wall.replace(tzinfo=zone, fold=0)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        flags.add("nonexistent_local_time")
    elif first.utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset():
        flags.add("ambiguous_local_time")
    offset = first.utcoffset() or timedelta(0)
    return wall.replace(tzinfo=timezone(offset)), flags


def _build(
    parsed: _Parsed,
    *,
    offset: timedelta | None,
    offset_flag: str,
    zone: ZoneInfo,
) -> tuple[datetime, datetime, set[str]]:
    if offset is not None:
        local = parsed.wall.replace(tzinfo=timezone(offset))
        flags = {offset_flag}
    else:
        local, flags = _localize(parsed.wall, zone)
        flags.add("naive_in_event_tz")
    return local.astimezone(UTC), local, flags


_EXIF_TIME_SOURCES: Final[tuple[tuple[CaptureSource, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]] = (
    (
        "exif_original",
        ("EXIF DateTimeOriginal", "Image DateTimeOriginal"),
        ("EXIF SubSecTimeOriginal", "Image SubSecTimeOriginal"),
        ("EXIF OffsetTimeOriginal", "Image OffsetTimeOriginal"),
    ),
    (
        "exif_digitized",
        ("EXIF DateTimeDigitized", "Image DateTimeDigitized"),
        ("EXIF SubSecTimeDigitized", "Image SubSecTimeDigitized"),
        ("EXIF OffsetTimeDigitized", "Image OffsetTimeDigitized"),
    ),
    (
        "exif_datetime",
        ("Image DateTime",),
        ("EXIF SubSecTime", "Image SubSecTime"),
        ("EXIF OffsetTime", "Image OffsetTime"),
    ),
)
_XMP_TIME_SOURCES: Final = ("exif:DateTimeOriginal", "xmp:CreateDate", "photoshop:DateCreated")


def capture_time(raw: RawMetadata, event_tz: str) -> CaptureTime:
    """When the photo was taken (see the module docstring for the order of sources).

    ``event_tz`` is an IANA zone name used for times stored without an offset;
    ``ValueError`` if it is not a known zone.
    """
    zone = _zone(event_tz)
    skipped = False

    for source, dt_keys, subsec_keys, offset_keys in _EXIF_TIME_SOURCES:
        for dt_key in dt_keys:
            raw_value = _as_text(raw.exif.get(dt_key))
            if raw_value is None or not raw_value.strip():
                continue
            parsed = _parse_datetime(raw_value)
            if parsed is None:
                skipped = True
                continue
            subsec_text = _as_text(_first(raw, *subsec_keys))
            wall = parsed.wall
            subsec_used: str | None = None
            if subsec_text is not None:
                digits = subsec_text.replace("\x00", "").strip()
                if digits.isdigit() and digits.isascii():
                    wall = wall.replace(microsecond=_microseconds(digits))
                    subsec_used = subsec_text
            offset_text = _as_text(_first(raw, *offset_keys))
            offset = _parse_offset(offset_text)
            flags: set[str] = set()
            if offset_text is not None and offset_text.strip(" \x00:") and offset is None:
                flags.add("invalid_offset_ignored")
            offset_flag = "offset_from_exif"
            if offset is None and parsed.offset is not None:
                offset = parsed.offset  # non-standard: offset written into the value
            utc, local, more = _build(
                replace(parsed, wall=wall), offset=offset, offset_flag=offset_flag, zone=zone
            )
            flags |= more
            if skipped:
                flags.add("invalid_value_skipped")
            return CaptureTime(
                taken_at_utc=utc,
                taken_at_local=local,
                source=source,
                raw_value=raw_value,
                flags=frozenset(flags),
                source_tag=dt_key,
                raw_subsec=subsec_used,
                raw_offset=offset_text if offset is not None and offset_text else None,
            )

    for key in _XMP_TIME_SOURCES:
        for raw_value in raw.xmp.get(key, ()):
            if not raw_value.strip():
                continue
            parsed = _parse_datetime(raw_value)
            if parsed is None:
                skipped = True
                continue
            utc, local, flags = _build(parsed, offset=parsed.offset, offset_flag="offset_from_xmp", zone=zone)
            if skipped:
                flags.add("invalid_value_skipped")
            return CaptureTime(
                taken_at_utc=utc,
                taken_at_local=local,
                source="xmp",
                raw_value=raw_value,
                flags=frozenset(flags),
                source_tag=key,
            )
            # (only the first value of a property is considered)

    return CaptureTime(
        taken_at_utc=None,
        taken_at_local=None,
        source="upload",
        raw_value=None,
        flags=frozenset({"invalid_value_skipped"} if skipped else ()),
    )


def apply_clock_offset(
    ct: CaptureTime, delta: timedelta, *, event_tz: str | None = None
) -> CaptureTime:
    """Correct a wrong camera clock: the true time is the recorded time plus ``delta``.

    (A camera 1 h 3 min behind needs ``delta=timedelta(hours=1, minutes=3)``.)  Shifts both
    the UTC and the local time, keeps ``raw_value`` and the source, adds the flag
    ``clock_corrected`` and accumulates ``clock_offset``.  When ``event_tz`` is given and
    the time had been read naively in the event zone, the corrected wall time is resolved
    in that zone again, so a correction across a DST change gets the right offset.  A
    time-less capture (``source == "upload"``) is returned unchanged.
    """
    if ct.taken_at_utc is None or ct.taken_at_local is None:
        return ct
    flags = set(ct.flags) | {"clock_corrected"}
    total = (ct.clock_offset or timedelta(0)) + delta
    if event_tz is not None and "naive_in_event_tz" in ct.flags:
        wall = ct.taken_at_local.replace(tzinfo=None) + delta
        local, dst_flags = _localize(wall, _zone(event_tz))
        flags -= {"nonexistent_local_time", "ambiguous_local_time"}
        flags |= dst_flags
        utc = local.astimezone(UTC)
    else:
        utc = ct.taken_at_utc + delta
        local = ct.taken_at_local + delta
    return replace(ct, taken_at_utc=utc, taken_at_local=local, flags=frozenset(flags), clock_offset=total)


# ======================================================================================
# Camera


def _as_float(value: ExifValue | None) -> float | None:
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, (int, float, Fraction)) and not isinstance(value, bool):
        result = float(value)
        return result if math.isfinite(result) else None
    if isinstance(value, str):
        try:
            result = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            return None
        return result if math.isfinite(result) else None
    return None


def _as_int(value: ExifValue | None) -> int | None:
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Fraction)) and math.isfinite(float(value)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _format_exposure(seconds: Fraction) -> str | None:
    if seconds <= 0:
        return None
    if seconds >= 1:
        return f"{float(seconds):g}"
    if seconds.numerator == 1:
        return f"1/{seconds.denominator}"
    inverse = 1 / seconds
    nearest = round(inverse)
    if nearest > 0 and abs(float(inverse) - nearest) <= 0.01 * nearest:
        return f"1/{nearest}"
    return f"{float(seconds):.3g}"


def _exposure(raw: RawMetadata) -> str | None:
    value = _first(raw, "EXIF ExposureTime")
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, (int, Fraction)):
        return _format_exposure(Fraction(value))
    if isinstance(value, float) and math.isfinite(value):
        return _format_exposure(Fraction(value).limit_denominator(100_000))
    xmp_value = _xmp_first(raw, "exif:ExposureTime")
    if xmp_value:
        try:
            return _format_exposure(Fraction(xmp_value.strip()))
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _aperture(raw: RawMetadata) -> float | None:
    fnumber = _as_float(_first(raw, "EXIF FNumber"))
    if fnumber is not None and 0.5 <= fnumber <= 256:
        return round(fnumber, 2)
    apex = _as_float(_first(raw, "EXIF ApertureValue"))
    if apex is not None and -2 < apex < 32:
        return round(2 ** (apex / 2), 1)
    xmp_value = _xmp_first(raw, "exif:FNumber")
    if xmp_value:
        fnumber = _as_float(xmp_value)
        if fnumber is not None and 0.5 <= fnumber <= 256:
            return round(fnumber, 2)
    return None


_SERIAL_RE: Final = re.compile(r"^[A-Za-z0-9]{4,32}$")


def _serial(raw: RawMetadata) -> str | None:
    """Body serial number: the standard tags first, then the maker note.

    exifread's maker-note decoders sometimes return neighbouring fields for the serial
    (e.g. "00STANDA" for a Nikon D300), so a maker-note serial is only trusted when it
    is a plain alphanumeric token with at least four digits.
    """
    for key in ("EXIF BodySerialNumber", "Image BodySerialNumber", "Image SerialNumber", "EXIF SerialNumber"):
        value = _clean_short(_as_text(raw.exif.get(key)))
        if value:
            return value
    for key in ("exifEX:BodySerialNumber", "aux:SerialNumber"):
        value = _clean_short(_xmp_first(raw, key))
        if value:
            return value
    for key in ("MakerNote SerialNumber", "MakerNote InternalSerialNumber"):
        value = _clean_short(_as_text(raw.exif.get(key)))
        if value and _SERIAL_RE.match(value) and sum(c.isdigit() for c in value) >= 4:
            return value
    return None


def camera_info(raw: RawMetadata) -> CameraInfo:
    """Camera make/model/serial, lens and exposure facts, from EXIF (XMP as a fallback)."""

    def text(*keys: str, xmp: tuple[str, ...] = ()) -> str | None:
        for key in keys:
            value = _clean_short(_as_text(raw.exif.get(key)))
            if value:
                return value
        for key in xmp:
            value = _clean_short(_xmp_first(raw, key))
            if value:
                return value
        return None

    focal = _as_float(_first(raw, "EXIF FocalLength"))
    if focal is None:
        focal = _as_float(_xmp_first(raw, "exif:FocalLength"))
    if focal is not None and not 0 < focal < 10_000:
        focal = None

    iso = _as_int(_first(raw, "EXIF ISOSpeedRatings", "EXIF PhotographicSensitivity", "EXIF ISOSpeed"))
    if iso is None:
        iso = _as_int(_xmp_first(raw, "exif:ISOSpeedRatings"))
    if iso is not None and iso <= 0:
        iso = None

    orientation = _as_int(_first(raw, "Image Orientation"))
    if orientation is None:
        orientation = _as_int(_xmp_first(raw, "tiff:Orientation"))
    if orientation is not None and not 1 <= orientation <= 8:
        orientation = None

    return CameraInfo(
        make=text("Image Make", xmp=("tiff:Make",)),
        model=text("Image Model", xmp=("tiff:Model",)),
        serial=_serial(raw),
        lens=text("EXIF LensModel", "MakerNote LensModel", xmp=("exifEX:LensModel", "aux:Lens")),
        lens_make=text("EXIF LensMake", xmp=("exifEX:LensMake",)),
        focal_length_mm=round(focal, 2) if focal is not None else None,
        aperture=_aperture(raw),
        exposure_time=_exposure(raw),
        iso=iso,
        orientation=orientation,
    )


# ======================================================================================
# GPS


def _dms(value: ExifValue | None) -> float | None:
    if value is None:
        return None
    parts = value if isinstance(value, tuple) else (value,)
    numbers: list[float] = []
    for part in parts[:3]:
        number = _as_float(part)
        if number is None:
            return None
        numbers.append(number)
    if not numbers:
        return None
    while len(numbers) < 3:
        numbers.append(0.0)
    degrees, minutes, seconds = numbers
    if degrees < 0 or minutes < 0 or seconds < 0 or minutes >= 60 or seconds >= 60:
        return None
    return degrees + minutes / 60 + seconds / 3600


_XMP_GPS_RE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?\s*([NSEWnsew])\s*$")


def _xmp_coordinate(text: str | None) -> float | None:
    """Parse XMP GPS coordinates such as "40,39.77966N" or "3,45,49.47W"."""
    if not text:
        return None
    match = _XMP_GPS_RE.match(text)
    if match is None:
        return None
    degrees, minutes = float(match.group(1)), float(match.group(2))
    seconds = float(match.group(3)) if match.group(3) else 0.0
    if minutes >= 60 or seconds >= 60:
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if match.group(4).upper() in "SW" else result


def gps(raw: RawMetadata) -> GpsPosition | None:
    """The GPS position, if the file has a usable one (private data: never publish it).

    Missing references count as N/E.  A void fix (GPSStatus "V") and exactly 0°/0° (what
    cameras write without a fix) count as no position.
    """
    latitude = _dms(raw.exif.get("GPS GPSLatitude"))
    longitude = _dms(raw.exif.get("GPS GPSLongitude"))
    status = (_as_text(raw.exif.get("GPS GPSStatus")) or "").strip().upper()
    if latitude is not None and longitude is not None and status != "V":
        if (_as_text(raw.exif.get("GPS GPSLatitudeRef")) or "N").strip().upper().startswith("S"):
            latitude = -latitude
        if (_as_text(raw.exif.get("GPS GPSLongitudeRef")) or "E").strip().upper().startswith("W"):
            longitude = -longitude
        altitude = _as_float(raw.exif.get("GPS GPSAltitude"))
        if altitude is not None and _as_int(raw.exif.get("GPS GPSAltitudeRef")) == 1:
            altitude = -altitude
    else:
        latitude = _xmp_coordinate(_xmp_first(raw, "exif:GPSLatitude"))
        longitude = _xmp_coordinate(_xmp_first(raw, "exif:GPSLongitude"))
        altitude = _as_float(_xmp_first(raw, "exif:GPSAltitude"))
        if altitude is not None and (_xmp_first(raw, "exif:GPSAltitudeRef") or "0").strip() == "1":
            altitude = -altitude
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:
        return None
    if altitude is not None and not -12_000 < altitude < 100_000:
        altitude = None
    return GpsPosition(latitude=latitude, longitude=longitude, altitude=altitude)
