"""The one JPEG segment reader: the marker segments in front of the image data.

A JPEG file is a start-of-image marker (``FF D8``) followed by segments: ``FF``, a marker byte
and, for all but the standalone markers (``TEM``, ``RST0``-``RST7``), a big-endian length that
counts itself and the payload.  Metadata lives in the application segments (APP0-APP15) before
the first start-of-scan (``SOS``); after it comes entropy-coded data.

Both users of the header go through :func:`next_marker` and :func:`read_segment`:

* metadata reading (:mod:`gallery.media.metadata.reading`) walks a file with
  :func:`header_segments` to find the EXIF, XMP and Photoshop/IPTC payloads;
* location stripping (:mod:`gallery.media.location`) parses the header incrementally from the
  chunks it is fed and rewrites the application segments.

The reader is strict where a wrong guess would be harmful: a ``00`` marker, a second
start-of-image or an end-of-image before any image data, and a length below two raise
:class:`JpegStructureError`.  Fill bytes (``FF FF ...``) are skipped, and so is junk between
segments (the reader resynchronises on the next ``FF``, as decoders do).

Only the standard library is imported.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Final

__all__ = [
    "EOI",
    "EXIF_HEADER",
    "ICC_HEADER",
    "MAX_HEADER_BYTES",
    "MAX_SEGMENT_PAYLOAD",
    "PHOTOSHOP_HEADER",
    "SOI",
    "SOS",
    "TEM",
    "XMP_EXTENSION_HEADER",
    "XMP_HEADER",
    "JpegStructureError",
    "Segment",
    "build_segment",
    "header_segments",
    "is_standalone",
    "next_marker",
    "read_segment",
    "starts_like_jpeg",
]

SOI: Final[int] = 0xD8
EOI: Final[int] = 0xD9
SOS: Final[int] = 0xDA
TEM: Final[int] = 0x01

#: Payload prefixes of the application segments Gallery reads or rewrites.
EXIF_HEADER: Final[bytes] = b"Exif\x00"
XMP_HEADER: Final[bytes] = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_HEADER: Final[bytes] = b"http://ns.adobe.com/xmp/extension/\x00"
PHOTOSHOP_HEADER: Final[bytes] = b"Photoshop 3.0\x00"
ICC_HEADER: Final[bytes] = b"ICC_PROFILE\x00"

#: The largest payload a segment can carry (the 16-bit length counts its own two bytes).
MAX_SEGMENT_PAYLOAD: Final[int] = 0xFFFF - 2
#: A header (everything before the first scan) larger than this is not a photo's.
MAX_HEADER_BYTES: Final[int] = 16 * 1024 * 1024

_READ_CHUNK: Final[int] = 64 * 1024


class JpegStructureError(ValueError):
    """The bytes break the JPEG segment structure (the message says where)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One marker segment of a buffer: ``buffer[start:end]`` is the whole segment, marker included."""

    marker: int
    start: int
    end: int

    @property
    def payload_start(self) -> int:
        """Where the payload begins (after the marker and, unless standalone, the length)."""
        return self.start + 2 if is_standalone(self.marker) else self.start + 4

    def payload(self, buffer: bytes | bytearray) -> bytes:
        return bytes(buffer[self.payload_start : self.end])


def is_standalone(marker: int) -> bool:
    """True for the markers without a length and payload (TEM, RST0-RST7)."""
    return marker == TEM or 0xD0 <= marker <= 0xD7


def starts_like_jpeg(head: bytes | bytearray) -> bool:
    """True when ``head`` begins with the start-of-image marker."""
    return len(head) >= 2 and head[0] == 0xFF and head[1] == SOI


def next_marker(buffer: bytes | bytearray, pos: int) -> int:
    """Position of the next marker at or after ``pos``: junk and fill bytes skipped.

    Returns ``len(buffer)`` when no ``FF`` follows, and the position of a final ``FF`` whose
    marker byte has not arrived yet (so that more data can be appended and the search resumed
    from there).
    """
    size = len(buffer)
    if pos < size and buffer[pos] != 0xFF:
        found = buffer.find(b"\xff", pos)
        pos = size if found < 0 else found
    while pos + 1 < size and buffer[pos + 1] == 0xFF:
        pos += 1  # fill byte
    return pos


def read_segment(buffer: bytes | bytearray, pos: int) -> Segment | None:
    """The header segment whose marker starts at ``buffer[pos]`` (see :func:`next_marker`).

    ``None`` when the buffer ends before the segment does.  Raises :class:`JpegStructureError`
    for a marker that cannot appear in a header (``00``, SOI, EOI) and for a length below 2.
    """
    if pos + 2 > len(buffer):
        return None
    if buffer[pos] != 0xFF:
        raise JpegStructureError(f"no marker at offset {pos}")
    marker = buffer[pos + 1]
    if is_standalone(marker):
        return Segment(marker, pos, pos + 2)
    if marker in (SOI, EOI, 0x00, 0xFF):
        raise JpegStructureError(f"unexpected marker 0xFF{marker:02X} before the image data")
    if pos + 4 > len(buffer):
        return None
    (length,) = struct.unpack_from(">H", buffer, pos + 2)
    if length < 2:
        raise JpegStructureError(f"bad length in segment 0xFF{marker:02X}")
    end = pos + 2 + length
    if end > len(buffer):
        return None
    return Segment(marker, pos, end)


def build_segment(marker: int, payload: bytes) -> bytes:
    """The bytes of a segment with this marker and payload."""
    if len(payload) > MAX_SEGMENT_PAYLOAD:
        raise JpegStructureError("a metadata segment would exceed 64 KB")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _no_charge(_nbytes: int) -> None:
    return None


def header_segments(
    fp: IO[bytes],
    *,
    max_bytes: int = MAX_HEADER_BYTES,
    charge: Callable[[int], None] = _no_charge,
) -> Iterator[tuple[int, bytes]]:
    """(marker, payload) of each segment of the JPEG in ``fp`` before its image data.

    Reads from the start of ``fp``; stops quietly at the first scan, at the end of the file, at
    a broken structure or after ``max_bytes``.  A segment cut short by the end of the file is
    not yielded.  ``charge`` is called with the size of every read and with 0 for every segment
    (for a reading budget; it may raise to stop the walk).  Nothing is yielded for a file that is not a JPEG.
    """
    fp.seek(0)
    buffer = bytearray(fp.read(2))
    charge(len(buffer))
    if not starts_like_jpeg(buffer):
        return
    consumed = 0  # bytes dropped from the front of the buffer
    pos = 2
    while True:
        pos = next_marker(buffer, pos)
        try:
            segment = read_segment(buffer, pos)
        except JpegStructureError:
            return
        if segment is None:
            if consumed + len(buffer) >= max_bytes:
                return
            more = fp.read(min(_READ_CHUNK, max_bytes - consumed - len(buffer)))
            charge(len(more))
            if not more:
                return
            del buffer[:pos]
            consumed += pos
            pos = 0
            buffer += more
            continue
        if segment.marker == SOS:
            return
        charge(0)
        pos = segment.end
        if not is_standalone(segment.marker):
            yield segment.marker, segment.payload(buffer)
