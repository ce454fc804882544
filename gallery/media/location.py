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

The module is pure: bytes in, bytes out.  :class:`JpegLocationStripper` works incrementally so
originals of any size are processed in constant memory; :func:`strip_location` is the one-shot
form and :func:`strip_location_chunks` wraps an iterator of chunks.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator
from xml.parsers import expat

__all__ = [
    "IPTC_LOCATION_DATASETS",
    "JpegLocationStripper",
    "LocationStripError",
    "is_location_property",
    "strip_exif",
    "strip_iptc",
    "strip_location",
    "strip_location_chunks",
    "strip_photoshop_resources",
    "strip_xmp",
]


class LocationStripError(ValueError):
    """The bytes are not a JPEG whose header can be rewritten (nothing was produced)."""


EXIF_HEADER = b"Exif\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
ICC_HEADER = b"ICC_PROFILE\x00"

#: IPTC-IIM record 2 datasets that describe where a photo was taken.
IPTC_LOCATION_DATASETS: frozenset[int] = frozenset({26, 27, 90, 92, 95, 100, 101})

#: Photoshop image resources that are dropped: EXIF data 1/3, XMP, the IPTC digest, thumbnails.
_PHOTOSHOP_DROPPED = frozenset({0x0409, 0x040C, 0x0422, 0x0423, 0x0424, 0x0425})
_PHOTOSHOP_SIGNATURES = (b"8BIM", b"PHUT", b"AgHg", b"DCSR", b"MeSa")

MAX_HEADER_BYTES = 16 * 1024 * 1024
_MAX_SEGMENT_PAYLOAD = 65533

# A marker inside entropy-coded data: 0xFF followed by anything but a stuffed zero, a restart
# marker (RST0-7, which belong to the scan) or another 0xFF (fill byte).
_MARKER_RE = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

_SOI, _EOI, _SOS, _COM, _TEM = 0xD8, 0xD9, 0xDA, 0xFE, 0x01


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) > _MAX_SEGMENT_PAYLOAD:
        raise LocationStripError("a metadata segment would exceed 64 KB")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


# ---------------------------------------------------------------------------------------------
# EXIF (TIFF structure), rewritten in place

_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_TAG_EXIF_IFD = 0x8769
_TAG_GPS_IFD = 0x8825
_TAG_INTEROP_IFD = 0xA005
_TAG_MAKERNOTE = 0x927C
_TAG_XMP = 0x02BC
_TAG_IPTC = 0x83BB
_TAG_PHOTOSHOP = 0x8649
_TAG_THUMB_OFFSET = 0x0201
_TAG_THUMB_LENGTH = 0x0202
_REMOVED_TAGS = frozenset({_TAG_GPS_IFD, _TAG_MAKERNOTE, _TAG_XMP, _TAG_IPTC, _TAG_PHOTOSHOP})
_MAX_IFDS = 16


class _BadTiff(Exception):
    pass


class _Tiff:
    def __init__(self, data: bytearray) -> None:
        if len(data) < 8 or data[:2] not in (b"II", b"MM"):
            raise _BadTiff("no TIFF header")
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"
        if self.u16(2) != 42:
            raise _BadTiff("bad TIFF magic")

    def u16(self, offset: int) -> int:
        if offset < 0 or offset + 2 > len(self.data):
            raise _BadTiff("offset out of range")
        return int(struct.unpack_from(self.order + "H", self.data, offset)[0])

    def u32(self, offset: int) -> int:
        if offset < 0 or offset + 4 > len(self.data):
            raise _BadTiff("offset out of range")
        return int(struct.unpack_from(self.order + "I", self.data, offset)[0])

    def put_u16(self, offset: int, value: int) -> None:
        struct.pack_into(self.order + "H", self.data, offset, value)

    def put_u32(self, offset: int, value: int) -> None:
        struct.pack_into(self.order + "I", self.data, offset, value)

    def zero(self, start: int, length: int) -> None:
        start = max(0, start)
        end = min(len(self.data), start + max(0, length))
        if end > start:
            self.data[start:end] = bytes(end - start)

    def entries(self, ifd: int) -> list[tuple[int, int, int, int, int]]:
        """(entry offset, tag, type, count, value-or-offset) for each entry of the IFD at ``ifd``."""
        count = self.u16(ifd)
        if ifd + 2 + 12 * count + 4 > len(self.data):
            raise _BadTiff("IFD runs past the end of the EXIF block")
        out = []
        for i in range(count):
            at = ifd + 2 + 12 * i
            out.append((at, self.u16(at), self.u16(at + 2), self.u32(at + 4), self.u32(at + 8)))
        return out

    def value_span(self, type_: int, count: int, value: int) -> tuple[int, int] | None:
        """Where an entry's value lives when it does not fit in the entry: (offset, length)."""
        size = _TIFF_TYPE_SIZES.get(type_)
        if size is None or count > len(self.data):
            return None
        length = size * count
        if length <= 4:
            return None
        return value, length

    def blank_ifd(self, ifd: int) -> None:
        """Overwrite an IFD and all its out-of-line values with zeros (best effort)."""
        try:
            entries = self.entries(ifd)
        except _BadTiff:
            return
        for _at, _tag, type_, count, value in entries:
            span = self.value_span(type_, count, value)
            if span is not None:
                self.zero(*span)
        self.zero(ifd, 2 + 12 * len(entries) + 4)

    def remove_entries(self, ifd: int, doomed: set[int]) -> None:
        """Remove the entries at the given offsets from the IFD; the IFD stays where it is."""
        entries = self.entries(ifd)
        next_ifd = self.u32(ifd + 2 + 12 * len(entries))
        kept = [bytes(self.data[at : at + 12]) for at, *_rest in entries if at not in doomed]
        self.zero(ifd, 2 + 12 * len(entries) + 4)
        self.put_u16(ifd, len(kept))
        for i, raw in enumerate(kept):
            at = ifd + 2 + 12 * i
            self.data[at : at + 12] = raw
        self.put_u32(ifd + 2 + 12 * len(kept), next_ifd)


def _strip_thumbnail(tiff: _Tiff, ifd1_entries: list[tuple[int, int, int, int, int]]) -> None:
    offset_entry = next((e for e in ifd1_entries if e[1] == _TAG_THUMB_OFFSET), None)
    length_entry = next((e for e in ifd1_entries if e[1] == _TAG_THUMB_LENGTH), None)
    if offset_entry is None or length_entry is None:
        return
    start, length = offset_entry[4], length_entry[4]
    if length_entry[2] == 3:  # SHORT: the value sits in the first two bytes of the field
        length = tiff.u16(length_entry[0] + 8)
    if start <= 0 or length <= 0 or start + length > len(tiff.data):
        return
    thumbnail = bytes(tiff.data[start : start + length])
    if not thumbnail.startswith(b"\xff\xd8"):
        return  # not a JPEG thumbnail (e.g. uncompressed): it has no segments to carry metadata
    try:
        stripper = JpegLocationStripper(keep_metadata=False)
        cleaned = stripper.feed(thumbnail) + stripper.close()
    except LocationStripError:
        cleaned = b""
    if len(cleaned) > length:
        cleaned = b""
    tiff.zero(start, length)
    tiff.data[start : start + len(cleaned)] = cleaned
    if length_entry[2] == 3:
        tiff.put_u16(length_entry[0] + 8, len(cleaned))
    else:
        tiff.put_u32(length_entry[0] + 8, len(cleaned))


def strip_exif(payload: bytes) -> bytes | None:
    """The APP1 ``Exif`` payload without location data, the same length; ``None`` to drop it."""
    if not payload.startswith(EXIF_HEADER) or len(payload) < 6 + 8:
        return None
    head = payload[:6]
    try:
        tiff = _Tiff(bytearray(payload[6:]))
        queue: list[tuple[int, str]] = [(tiff.u32(4), "ifd0")]
        seen: set[int] = set()
        while queue:
            ifd, name = queue.pop(0)
            if ifd in seen or len(seen) >= _MAX_IFDS:
                continue
            if ifd < 8 or ifd >= len(tiff.data):
                if name == "ifd0":
                    raise _BadTiff("IFD0 is outside the EXIF block")
                continue  # a dangling sub-IFD pointer: nothing there to strip
            seen.add(ifd)
            entries = tiff.entries(ifd)
            doomed: set[int] = set()
            for at, tag, type_, count, value in entries:
                if tag == _TAG_GPS_IFD:
                    doomed.add(at)
                    if type_ in (4, 13) and count == 1 and 8 <= value < len(tiff.data):
                        tiff.blank_ifd(value)
                    else:
                        span = tiff.value_span(type_, count, value)
                        if span is not None:
                            tiff.zero(*span)
                elif tag in _REMOVED_TAGS:
                    doomed.add(at)
                    span = tiff.value_span(type_, count, value)
                    if span is not None:
                        tiff.zero(*span)
                elif tag in (_TAG_EXIF_IFD, _TAG_INTEROP_IFD) and type_ in (4, 13) and count == 1:
                    queue.append((value, "sub"))
            next_ifd = tiff.u32(ifd + 2 + 12 * len(entries))
            if name == "ifd1":
                _strip_thumbnail(tiff, entries)
            if doomed:
                tiff.remove_entries(ifd, doomed)
            if name == "ifd0" and next_ifd:
                queue.append((next_ifd, "ifd1"))
    except _BadTiff:
        return None
    return head + bytes(tiff.data)


# ---------------------------------------------------------------------------------------------
# XMP

_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_X_NS = "adobe:ns:meta/"
_XMP_NOTE_NS = "http://ns.adobe.com/xmp/note/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_XMP_REJECT = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
_PLACE_NAMES = frozenset(
    {
        "city",
        "state",
        "country",
        "countrycode",
        "countryname",
        "provincestate",
        "sublocation",
        "worldregion",
        "location",
    }
)
_ATTRIBUTE_RE = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")


def is_location_property(namespace: str, name: str) -> bool:
    """True for an XMP property (namespace URI, local name) that says where a photo was taken."""
    if namespace in (_RDF_NS, _X_NS, "http://www.w3.org/XML/1998/namespace", ""):
        return False
    lowered = name.lower()
    if namespace == _XMP_NOTE_NS and lowered == "hasextendedxmp":
        return True  # the extended packets are dropped
    if namespace == _DC_NS and lowered == "coverage":
        return True
    if lowered.startswith(("gps", "location", "geo")):
        return True
    if any(word in lowered for word in ("latitude", "longitude", "altitude")):
        return True
    return lowered in _PLACE_NAMES


def _tag_end(data: bytes, start: int) -> int:
    """Index just past the ``>`` closing the tag that starts at ``start``."""
    quote = 0
    for i in range(start + 1, len(data)):
        ch = data[i]
        if quote:
            if ch == quote:
                quote = 0
        elif ch in (0x22, 0x27):
            quote = ch
        elif ch == 0x3E:
            return i + 1
    raise ValueError("unterminated tag")


class _XmpScan:
    """One expat pass: which byte ranges to cut and which start tags to rewrite."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.cuts: list[tuple[int, int]] = []
        self.tag_edits: dict[int, tuple[int, set[str]]] = {}  # start -> (end, attribute qnames)
        self.found = 0
        self._stack: list[tuple[int, bool]] = []  # (start index, doomed)
        self._prefixes: dict[str, list[str]] = {}
        self._pending_prefixes: list[tuple[str, str]] = []
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartNamespaceDeclHandler = self._ns_start
        parser.EndNamespaceDeclHandler = self._ns_end
        self.parser = parser
        parser.Parse(data, True)

    def _ns_start(self, prefix: str | None, uri: str | None) -> None:
        self._prefixes.setdefault(prefix or "", []).append(uri or "")

    def _ns_end(self, prefix: str | None) -> None:
        stack = self._prefixes.get(prefix or "")
        if stack:
            stack.pop()

    def _resolve(self, qname: str) -> tuple[str, str]:
        prefix, _, local = qname.rpartition(":")
        if not prefix:
            return "", qname  # unprefixed attributes have no namespace
        stack = self._prefixes.get(prefix)
        return (stack[-1] if stack else ""), local

    @staticmethod
    def _split(name: str) -> tuple[str, str]:
        namespace, _, local = name.rpartition(" ")
        return namespace, local

    def _inside_doomed(self) -> bool:
        return any(doomed for _start, doomed in self._stack)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        start = self.parser.CurrentByteIndex
        namespace, local = self._split(name)
        doomed = not self._inside_doomed() and is_location_property(namespace, local)
        if doomed:
            self.found += 1
        elif not self._inside_doomed() and any(is_location_property(*self._split(a)) for a in attributes):
            end = _tag_end(self.data, start)
            names = set()
            for match in _ATTRIBUTE_RE.finditer(self.data, start, end):
                qname = match.group(1).decode("utf-8", "replace")
                if is_location_property(*self._resolve(qname)):
                    names.add(qname)
            self.found += len(names)
            self.tag_edits[start] = (end, names)
        self._stack.append((start, doomed))

    def _end(self, _name: str) -> None:
        start, doomed = self._stack.pop()
        if not doomed:
            return
        end = _tag_end(self.data, start)
        if self.data[end - 2 : end] != b"/>":  # not an empty element: cut through its end tag
            end = _tag_end(self.data, self.parser.CurrentByteIndex)
        self.cuts.append((start, end))


def _rewrite_tag(tag: bytes, names: set[str]) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        return b"" if match.group(1).decode("utf-8", "replace") in names else match.group(0)

    return _ATTRIBUTE_RE.sub(replace, tag)


def strip_xmp(packet: bytes) -> bytes | None:
    """The XMP packet without location properties; ``None`` when it cannot be parsed safely."""
    if _XMP_REJECT.search(packet):
        return None
    try:
        scan = _XmpScan(packet)
    except (expat.ExpatError, ValueError):
        return None
    if not scan.found:
        return packet
    pieces: list[bytes] = []
    edits = sorted([(s, e, None) for s, e in scan.cuts] + [(s, e, n) for s, (e, n) in scan.tag_edits.items()])
    pos = 0
    for start, end, names in edits:
        if start < pos:
            continue  # inside a removed element
        pieces.append(packet[pos:start])
        if names is not None:
            pieces.append(_rewrite_tag(packet[start:end], names))
        pos = end
    pieces.append(packet[pos:])
    result = b"".join(pieces)
    try:
        if _XmpScan(result).found:
            return None  # defence in depth: never keep a packet that still names a place
    except (expat.ExpatError, ValueError):
        return None
    return result


# ---------------------------------------------------------------------------------------------
# IPTC-IIM inside Photoshop image resources


def strip_iptc(data: bytes) -> bytes | None:
    """IPTC-IIM datasets without the location ones; ``None`` when the block cannot be parsed."""
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        if data[pos] != 0x1C:
            if not any(data[pos:]):
                break  # zero padding
            return None
        if pos + 5 > len(data):
            return None
        record, dataset = data[pos + 1], data[pos + 2]
        (length,) = struct.unpack_from(">H", data, pos + 3)
        header = 5
        if length & 0x8000:  # extended dataset: the next (length & 0x7FFF) bytes hold the length
            size_bytes = length & 0x7FFF
            if size_bytes > 4 or pos + 5 + size_bytes > len(data):
                return None
            length = int.from_bytes(data[pos + 5 : pos + 5 + size_bytes], "big")
            header += size_bytes
        end = pos + header + length
        if end > len(data):
            return None
        if not (record == 2 and dataset in IPTC_LOCATION_DATASETS):
            out.append(data[pos:end])
        pos = end
    return b"".join(out)


def strip_photoshop_resources(data: bytes) -> bytes | None:
    """Photoshop image resources without location data; ``None`` when they cannot be parsed."""
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            if not any(data[pos:]):
                break
            return None
        signature = data[pos : pos + 4]
        if signature not in _PHOTOSHOP_SIGNATURES:
            return None
        (resource_id,) = struct.unpack_from(">H", data, pos + 4)
        name_length = data[pos + 6]
        name_total = name_length + 1 + ((name_length + 1) % 2)
        size_at = pos + 6 + name_total
        if size_at + 4 > len(data):
            return None
        (size,) = struct.unpack_from(">I", data, size_at)
        body_at = size_at + 4
        end = body_at + size + (size % 2)
        if body_at + size > len(data):
            return None
        end = min(end, len(data))
        if resource_id in _PHOTOSHOP_DROPPED:
            pass
        elif resource_id == 0x0404 and signature == b"8BIM":
            iptc = strip_iptc(data[body_at : body_at + size])
            if iptc:
                head = data[pos:size_at]
                out.append(head + struct.pack(">I", len(iptc)) + iptc + (b"\x00" if len(iptc) % 2 else b""))
        else:
            out.append(data[pos:end])
        pos = end
    return b"".join(out)


# ---------------------------------------------------------------------------------------------
# The JPEG stream


def _app_policy(marker: int, payload: bytes, keep_metadata: bool) -> bytes | None | str:
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
            return strip_exif(payload)
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
            if self._consumed + self._pos > MAX_HEADER_BYTES:
                raise LocationStripError("the JPEG header is implausibly large")
            if not self._seen_soi:
                if len(buf) < 2:
                    return None
                if buf[0] != 0xFF or buf[1] != _SOI:
                    raise LocationStripError("not a JPEG (no start-of-image marker)")
                self._seen_soi = True
                self._pos = 2
                self._header_parts.append(b"\xff\xd8")
                continue
            pos = self._pos
            if pos >= len(buf):
                return None
            if buf[pos] != 0xFF:  # junk between segments: skip to the next marker
                nxt = buf.find(b"\xff", pos)
                self._pos = len(buf) if nxt < 0 else nxt
                continue
            if pos + 2 > len(buf):
                return None
            marker = buf[pos + 1]
            if marker == 0xFF:
                self._pos = pos + 1  # fill byte
                continue
            if marker == _TEM or 0xD0 <= marker <= 0xD7:
                self._header_parts.append(bytes(buf[pos : pos + 2]))
                self._pos = pos + 2
                continue
            if marker in (_SOI, _EOI) or marker == 0x00:
                raise LocationStripError(f"unexpected marker 0xFF{marker:02X} before the image data")
            if pos + 4 > len(buf):
                return None
            (length,) = struct.unpack_from(">H", buf, pos + 2)
            if length < 2:
                raise LocationStripError(f"bad length in segment 0xFF{marker:02X}")
            end = pos + 2 + length
            if end > len(buf):
                return None
            segment = bytes(buf[pos:end])
            self._pos = end
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
            if marker == _SOS:
                self._state = self._BODY
                return self._assemble_header()

    def _assemble_header(self) -> bytes:
        photoshop = b""
        if self._photoshop:
            cleaned = strip_photoshop_resources(b"".join(self._photoshop))
            if cleaned:
                room = _MAX_SEGMENT_PAYLOAD - len(PHOTOSHOP_HEADER)
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
            if marker == _EOI:
                out.append(b"\xff\xd9")
                self._pos = len(buf)
                self._state = self._DONE
                return
            if marker in (_TEM, _SOI):
                out.append(bytes(buf[start : start + 2]))
                self._pos = start + 2
                continue
            if start + 4 > len(buf):
                self._pos = start
                return
            (length,) = struct.unpack_from(">H", buf, start + 2)
            if length < 2:
                out.append(bytes(buf[start : start + 2]))
                self._pos = start + 2
                continue
            end = start + 2 + length
            if end > len(buf):
                self._pos = start
                return
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
