"""Reading a photo's metadata: EXIF (exifread) and XMP (defusedxml) into one raw record.

:func:`read_metadata` never raises for bad metadata and never runs longer than its time
budget (exifread is known to loop on hostile files; the file object it gets is wrapped in a
reader that stops it deterministically after a number of reads or bytes, or after the
deadline, see :mod:`gallery.media.metadata.limits`).  The result is a plain
:class:`~gallery.media.metadata.record.RawMetadata` value, which the pure functions of
:mod:`.capture_time`, :mod:`.camera`, :mod:`.gps` and :mod:`.captions` interpret.

The XMP packet comes from the JPEG segment list (:mod:`gallery.media.jpeg`), from the
container's own XMP chunk or item, or else from a bounded search of the file's bytes; it is
parsed by :func:`gallery.media.xmp.parse_xmp_packet` (no DTDs, no entities).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
from collections.abc import Mapping
from fractions import Fraction
from typing import IO, Any, BinaryIO, Final, cast

import exifread

from gallery.media import xmp as xmp_packets
from gallery.media.metadata.containers import Embedded, embedded_blobs, tiff_from_blob
from gallery.media.metadata.limits import BudgetedReader, ReadBudget, ReadBudgetExceeded
from gallery.media.metadata.record import (
    ExifScalar,
    ExifValue,
    RawMetadata,
    decode_text_bytes,
)

# exifread logs every oddity of every file as a warning; keep that out of stderr unless
# the application configures logging for it (a NullHandler is what libraries should add).
logging.getLogger("exifread").addHandler(logging.NullHandler())

__all__ = [
    "EXIF_DETAIL_MAX_CALLS",
    "EXIF_MAX_BYTES",
    "EXIF_MAX_CALLS",
    "JPEG_XMP_SCAN_BYTES",
    "XMP_SCAN_BYTES",
    "read_metadata",
]

#: How far into a file the XMP packet is searched for.
XMP_SCAN_BYTES: Final[int] = 32 * 1024 * 1024
#: ... in a JPEG whose segment list had no XMP segment (XMP precedes the image data).
JPEG_XMP_SCAN_BYTES: Final[int] = 1024 * 1024
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
# EXIF through exifread


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
            return decode_text_bytes(bytes(values)) if field_type == 2 else bytes(values)
        if not isinstance(values, (list, tuple)):
            return _convert_scalar(values)
        if len(values) > _EXIF_VALUE_MAX_ITEMS or not values:
            return None
        if field_type in (1, 6, 7) and len(values) > 1 and all(isinstance(v, int) and 0 <= v <= 255 for v in values):
            return bytes(values)
        if field_type in (1, 7) and len(values) > 1 and all(isinstance(v, int) and -128 <= v <= 255 for v in values):
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


def _run_exifread(raw: IO[bytes], budget: ReadBudget, *, details: bool) -> dict[str, ExifValue]:
    reader = BudgetedReader(raw, budget)
    tags = exifread.process_file(
        cast(BinaryIO, reader),  # a read-only file object is all exifread uses
        details=details,
        strict=False,
        debug=False,
        extract_thumbnail=False,
        truncate_tags=True,
        auto_seek=True,
    )
    return _convert_tags(tags)


def _describe(err: BaseException) -> str:
    if isinstance(err, ReadBudgetExceeded):
        return f"EXIF unreadable: gave up ({err})"
    if isinstance(err, RecursionError):
        return "EXIF unreadable: IFD structure loops"
    text = str(err).strip()
    if len(text) > 200:
        text = text[:200] + "…"
    return f"EXIF unreadable: {type(err).__name__}" + (f": {text}" if text else "")


# ======================================================================================
# XMP: a bounded search of the file's bytes


def _scan_xmp(raw: IO[bytes], budget: ReadBudget, limit: int = XMP_SCAN_BYTES) -> bytes | None:
    """Return the first complete ``<x:xmpmeta>...</x:xmpmeta>`` packet in the file."""
    raw.seek(0)
    chunk_size = 1 << 20
    keep = max(len(m) for m in xmp_packets.PACKET_OPENERS) - 1
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
            hits = [(buf.find(m), m) for m in xmp_packets.PACKET_OPENERS]
            hits = [h for h in hits if h[0] >= 0]
            if not hits:
                buf = buf[-keep:]
                continue
            pos, opener = min(hits)
            buf = buf[pos:]
        close = xmp_packets.packet_closer(opener)
        end = buf.find(close)
        if end >= 0:
            return buf[: end + len(close)]
        if len(buf) > xmp_packets.XMP_MAX_PACKET:
            return None
    return None


def _parse_xmp(packet: bytes | None) -> tuple[dict[str, tuple[str, ...]], str | None]:
    if packet is None:
        return {}, None
    try:
        return xmp_packets.parse_xmp_packet(packet), None
    except xmp_packets.XmpRefused as err:
        return {}, str(err)
    except ValueError as err:
        return {}, f"XMP unreadable: {err}"


# ======================================================================================
# The entry point


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

    def budget(share: float = 1.0, max_calls: int = EXIF_MAX_CALLS) -> ReadBudget:
        now = time.monotonic()
        return ReadBudget(now + max(0.0, deadline - now) * share, max_calls, EXIF_MAX_BYTES)

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
            gave_up = isinstance(err, ReadBudgetExceeded)

    # --- JPEG: walk the segments (cheap and exact: XMP and EXIF live in APP1 before SOS)
    embedded = Embedded()
    walked = False
    if kind == "jpeg":
        try:
            embedded = embedded_blobs(kind, raw, budget(0.5))
            walked = True
        except Exception as err:  # noqa: BLE001 - a broken segment list is reported, not raised
            warnings.append(f"JPEG segment walk failed: {type(err).__name__}")

    # --- XMP: the JPEG segment, else a bounded search of the file's bytes
    packet: bytes | None = None
    xmp_error: str | None = None
    if walked and embedded.xmp is not None:
        packet = xmp_packets.trim_packet(embedded.xmp)
    else:
        # (after a JPEG walk that found no XMP segment, only the metadata area is searched)
        limit = JPEG_XMP_SCAN_BYTES if walked else XMP_SCAN_BYTES
        try:
            packet = _scan_xmp(raw, ReadBudget(deadline, EXIF_MAX_CALLS, limit + 1), limit)
        except ReadBudgetExceeded as err:
            xmp_error = f"XMP unreadable: gave up ({err})"
        except (OSError, ValueError) as err:
            xmp_error = f"XMP unreadable: {type(err).__name__}"

    # --- containers exifread does not fully understand (and XMP in compressed chunks)
    if not walked and (
        (not exif and not bigtiff) or (packet is None and kind in ("heic", "heif", "avif", "png", "webp"))
    ):
        try:
            embedded = embedded_blobs(kind, raw, budget(0.5))
        except Exception as err:  # noqa: BLE001 - plugins raise anything on bad input
            warnings.append(f"container walk failed: {type(err).__name__}")
    if not exif and not gave_up:
        tiff = tiff_from_blob(embedded.exif)
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
        packet = xmp_packets.trim_packet(embedded.xmp)

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
    xmp, parse_error = _parse_xmp(packet)
    xmp_error = parse_error or xmp_error

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
