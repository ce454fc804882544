"""Remove location data from a JPEG without re-encoding it.

Used for albums whose editor chose ``original_downloads = without_location``: visitors get the
original's bytes, bit for bit where the picture is concerned, minus every place the file says
where it was taken.  Only the metadata segments in front of the image data are rewritten; the
entropy-coded scan data is copied unchanged, so decoders produce identical pixels.

What is removed or rewritten
----------------------------
* **EXIF** (APP1 ``Exif``): rewritten *in place* (the segment keeps its length and every
  offset stays valid): the GPS IFD pointer (tag 0x8825) is removed from every IFD that has one
  and the GPS IFD with all its values is overwritten with zero bytes.  MakerNote (0x927C, whose
  proprietary layouts can hold GPS fixes or place names) and embedded XMP (0x02BC), IPTC
  (0x83BB) and Photoshop (0x8649) blocks are removed the same way.  An embedded JPEG thumbnail
  is itself stripped of every metadata segment.  EXIF that cannot be parsed is dropped whole.
* **XMP** (APP1 ``http://ns.adobe.com/xap/1.0/``): properties that name a place are removed —
  ``exif:GPS*`` and any other ``GPS*``/latitude/longitude/altitude property (DJI drones,
  ``exifEX``), ``photoshop:City``/``State``/``Country``, ``Iptc4xmpCore:Location``/
  ``CountryCode``, ``Iptc4xmpExt:LocationCreated``/``LocationShown`` and their parts,
  ``dc:coverage``.  Both element and attribute (``rdf:Description exif:GPSLatitude="…"``) forms
  are handled, at any depth.  Extended XMP segments are dropped (they cannot be rewritten without
  re-hashing them), and so is a packet that cannot be parsed safely.
* **IPTC-IIM** (APP13 ``Photoshop 3.0``, resource 0x0404): datasets 2:26 and 2:27 (content
  location code/name), 2:90 City, 2:92 Sublocation, 2:95 Province/State, 2:100 Country code and
  2:101 Country name are removed.  Photoshop's EXIF/XMP copies (0x0422, 0x0423, 0x0424), the
  IPTC digest (0x0425, now stale) and thumbnails (0x0409, 0x040C) are dropped; other resources
  are kept.
* Every other application segment is dropped unless it is known to be harmless and useful:
  JFIF (APP0), ICC profiles (APP2 ``ICC_PROFILE``) and Adobe colour-transform info (APP14) are
  kept; MPF (APP2) indexes of appended images, FlashPix, maker-specific APPn segments are not.
* Everything after the end-of-image marker is dropped (MPF second frames, gain maps, Motion
  Photo videos and other trailers can carry their own location data).

Comments (COM) and all coding segments (quantisation and Huffman tables, frame and scan
headers, restart intervals) are kept byte for byte.

The header is read with the one JPEG segment reader (:mod:`gallery.media.jpeg`); each metadata
block is rewritten by :mod:`gallery.media.location_fields`, whose XMP parsing goes through
defusedxml (:mod:`gallery.media.xmp`): a packet with a DTD or entity declarations is dropped.

The module is pure: bytes in, bytes out.  :class:`JpegLocationStripper` works incrementally so
originals of any size are processed in constant memory; :func:`strip_location` is the one-shot
form and :func:`strip_location_chunks` wraps an iterator of chunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from gallery.media import jpeg
from gallery.media.jpeg import EXIF_HEADER, ICC_HEADER, PHOTOSHOP_HEADER, XMP_HEADER
from gallery.media.location_fields import strip_exif, strip_photoshop_resources, strip_xmp

__all__ = [
    "JpegLocationStripper",
    "LocationStripError",
    "strip_location",
    "strip_location_chunks",
]


class LocationStripError(ValueError):
    """The bytes are not a JPEG whose header can be rewritten (nothing was produced)."""


# A marker inside entropy-coded data: 0xFF followed by anything but a stuffed zero, a restart
# marker (RST0-7, which belong to the scan) or another 0xFF (fill byte).
_MARKER_RE = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _segment(marker: int, payload: bytes) -> bytes:
    try:
        return jpeg.build_segment(marker, payload)
    except jpeg.JpegStructureError as err:
        raise LocationStripError(str(err)) from None


# ---------------------------------------------------------------------------------------------
# The JPEG stream


def _clean_thumbnail(thumbnail: bytes) -> bytes:
    """An embedded JPEG thumbnail without any metadata segment (``b""`` when it is broken)."""
    try:
        stripper = JpegLocationStripper(keep_metadata=False)
        return stripper.feed(thumbnail) + stripper.close()
    except LocationStripError:
        return b""


def _app_policy(marker: int, payload: bytes, keep_metadata: bool) -> bytes | str | None:
    """What to do with an APPn segment in the header: new payload, ``None`` (drop) or "photoshop"."""
    n = marker - 0xE0
    if n == 0:
        return payload if payload.startswith(b"JFIF\x00") else None
    if n == 2:
        return payload if payload.startswith(ICC_HEADER) else None
    if n == 14:
        return payload if payload.startswith(b"Adobe") else None
    if not keep_metadata:
        return None
    if n == 1:
        if payload.startswith(EXIF_HEADER):
            return strip_exif(payload, clean_thumbnail=_clean_thumbnail)
        if payload.startswith(XMP_HEADER):
            cleaned = strip_xmp(payload[len(XMP_HEADER) :])
            return None if cleaned is None else XMP_HEADER + cleaned
        return None  # extended XMP and unknown APP1 blocks
    if n == 13 and payload.startswith(PHOTOSHOP_HEADER):
        return "photoshop"
    return None


class JpegLocationStripper:
    """Incremental stripper: ``feed`` chunks, then ``close``; each returns output bytes.

    The header (everything up to the first scan) is buffered and emitted in one piece once the
    first start-of-scan segment has been read; after that, bytes flow through as they arrive
    (a trailing 0xFF may wait for the next chunk).  :class:`LocationStripError` is raised only
    while the header is being read, so once :attr:`header_done` is true the output is committed.
    ``keep_metadata=False`` drops EXIF, XMP and IPTC entirely (used for embedded thumbnails).
    """

    _HEADER, _BODY, _DONE = 0, 1, 2

    def __init__(self, *, keep_metadata: bool = True) -> None:
        self.keep_metadata = keep_metadata
        self._state = self._HEADER
        self._buf = bytearray()
        self._pos = 0
        self._header_parts: list[bytes | None] = []  # None: where the Photoshop block goes
        self._photoshop: list[bytes] = []
        self._seen_soi = False
        self._consumed = 0

    @property
    def header_done(self) -> bool:
        return self._state != self._HEADER

    @property
    def finished(self) -> bool:
        """True once the end-of-image marker has been passed (the rest of the input is ignored)."""
        return self._state == self._DONE

    def feed(self, data: bytes) -> bytes:
        if self._state == self._DONE or not data:
            return b""
        self._buf += data
        out: list[bytes] = []
        if self._state == self._HEADER:
            header = self._parse_header()
            if header is None:
                self._compact()
                return b""
            out.append(header)
        if self._state == self._BODY:
            self._parse_body(out)
        self._compact()
        return b"".join(out)

    def close(self) -> bytes:
        if self._state == self._HEADER:
            raise LocationStripError("not a complete JPEG: no image data found")
        if self._state == self._DONE:
            return b""
        rest = bytes(self._buf[self._pos :])
        self._buf.clear()
        self._pos = 0
        self._state = self._DONE
        if len(rest) >= 2 and rest[0] == 0xFF and 0xE0 <= rest[1] <= 0xEF:
            return b""  # a truncated application segment: never emit half of one
        return rest

    # -- internals --------------------------------------------------------------------------

    def _compact(self) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._consumed += self._pos
            self._pos = 0

    def _parse_header(self) -> bytes | None:
        buf = self._buf
        while True:
            if self._consumed + self._pos > jpeg.MAX_HEADER_BYTES:
                raise LocationStripError("the JPEG header is implausibly large")
            if not self._seen_soi:
                if len(buf) < 2:
                    return None
                if not jpeg.starts_like_jpeg(buf):
                    raise LocationStripError("not a JPEG (no start-of-image marker)")
                self._seen_soi = True
                self._pos = 2
                self._header_parts.append(b"\xff\xd8")
                continue
            self._pos = jpeg.next_marker(buf, self._pos)  # junk between segments, fill bytes
            try:
                found = jpeg.read_segment(buf, self._pos)
            except jpeg.JpegStructureError as err:
                raise LocationStripError(str(err)) from None
            if found is None:
                return None
            marker = found.marker
            segment = bytes(buf[found.start : found.end])
            self._pos = found.end
            if jpeg.is_standalone(marker):
                self._header_parts.append(segment)
                continue
            if 0xE0 <= marker <= 0xEF:
                decision = _app_policy(marker, segment[4:], self.keep_metadata)
                if decision == "photoshop":
                    if not self._photoshop:
                        self._header_parts.append(None)
                    self._photoshop.append(segment[4 + len(PHOTOSHOP_HEADER) :])
                elif isinstance(decision, bytes):
                    self._header_parts.append(_segment(marker, decision))
                continue
            self._header_parts.append(segment)
            if marker == jpeg.SOS:
                self._state = self._BODY
                return self._assemble_header()

    def _assemble_header(self) -> bytes:
        photoshop = b""
        if self._photoshop:
            cleaned = strip_photoshop_resources(b"".join(self._photoshop))
            if cleaned:
                room = jpeg.MAX_SEGMENT_PAYLOAD - len(PHOTOSHOP_HEADER)
                photoshop = b"".join(
                    _segment(0xED, PHOTOSHOP_HEADER + cleaned[i : i + room]) for i in range(0, len(cleaned), room)
                )
        header = b"".join(photoshop if part is None else part for part in self._header_parts)
        self._header_parts = []
        self._photoshop = []
        return header

    def _parse_body(self, out: list[bytes]) -> None:
        buf = self._buf
        while self._state == self._BODY:
            pos = self._pos
            match = _MARKER_RE.search(buf, pos)
            if match is None:
                end = len(buf)
                while end > pos and buf[end - 1] == 0xFF:
                    end -= 1  # may be the first half of a marker
                if end > pos:
                    out.append(bytes(buf[pos:end]))
                self._pos = end
                return
            start = match.start()
            if start > pos:
                out.append(bytes(buf[pos:start]))
            marker = buf[start + 1]
            if marker == jpeg.EOI:
                out.append(b"\xff\xd9")
                self._pos = len(buf)
                self._state = self._DONE
                return
            if marker in (jpeg.TEM, jpeg.SOI):
                out.append(bytes(buf[start : start + 2]))
                self._pos = start + 2
                continue
            try:
                found = jpeg.read_segment(buf, start)
            except jpeg.JpegStructureError:  # a length below 2: the marker passes through
                out.append(bytes(buf[start : start + 2]))
                self._pos = start + 2
                continue
            if found is None:
                self._pos = start
                return
            end = found.end
            self._pos = end
            if 0xE0 <= marker <= 0xEF:
                # Application data between scans: keep only the harmless kinds.
                decision = _app_policy(marker, bytes(buf[start + 4 : end]), keep_metadata=False)
                if isinstance(decision, bytes):
                    out.append(_segment(marker, decision))
                continue
            out.append(bytes(buf[start:end]))


def strip_location_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Strip a JPEG given as chunks.

    The header is read and rewritten before this function returns, so a
    :class:`LocationStripError` (not a JPEG, broken header) surfaces here, before any output; the
    returned iterator then yields the rewritten header and the image data.  Closing the returned
    iterator closes ``chunks`` if it has a ``close`` method.
    """
    source = iter(chunks)
    stripper = JpegLocationStripper()
    first: list[bytes] = []
    try:
        for chunk in source:
            first.append(stripper.feed(chunk))
            if stripper.header_done:
                break
        else:
            first.append(stripper.close())  # raises: the input ended inside the header
    except BaseException:
        _close(source)
        raise
    return _continue(stripper, source, b"".join(first))


def _close(source: Iterator[bytes]) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        close()


def _continue(stripper: JpegLocationStripper, source: Iterator[bytes], first: bytes) -> Iterator[bytes]:
    try:
        if first:
            yield first
        if stripper.finished:
            return
        for chunk in source:
            out = stripper.feed(chunk)
            if out:
                yield out
            if stripper.finished:
                return
        tail = stripper.close()
        if tail:
            yield tail
    finally:
        _close(source)


def strip_location(data: bytes) -> bytes:
    """The JPEG ``data`` without location metadata (scan data unchanged); see the module docs."""
    stripper = JpegLocationStripper()
    head = stripper.feed(data)
    return head + stripper.close()
