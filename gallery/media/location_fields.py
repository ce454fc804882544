"""Location fields inside metadata blocks, removed without moving anything else.

The pieces of :mod:`gallery.media.location` that understand one metadata format each (that
module decides which segments of a JPEG keep which blocks):

* :func:`strip_exif`: an APP1 ``Exif`` payload rewritten in place (same length, every offset
  valid): the GPS IFD pointer removed and the GPS IFD blanked; MakerNote, embedded XMP, IPTC and
  Photoshop blocks removed the same way; the embedded thumbnail cleaned by the caller's
  function (dropped by default).
* :func:`strip_xmp`: XMP properties that name a place removed (element and attribute forms, at
  any depth), parsed with defusedxml (:mod:`gallery.media.xmp`).
* :func:`strip_iptc` / :func:`strip_photoshop_resources`: IPTC-IIM location datasets and
  Photoshop's copies of EXIF/XMP, digests and thumbnails removed.

Each returns ``None`` when its block cannot be parsed safely (the caller then drops it whole).
Only the standard library and defusedxml are imported.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

from gallery.media.jpeg import EXIF_HEADER
from gallery.media.xmp import RDF_NS, XML_NS, XmpEventParser, split_name

__all__ = [
    "IPTC_LOCATION_DATASETS",
    "is_location_property",
    "strip_exif",
    "strip_iptc",
    "strip_photoshop_resources",
    "strip_xmp",
]

#: IPTC-IIM record 2 datasets that describe where a photo was taken.
IPTC_LOCATION_DATASETS: frozenset[int] = frozenset({26, 27, 90, 92, 95, 100, 101})

#: Photoshop image resources that are dropped: EXIF data 1/3, XMP, the IPTC digest, thumbnails.
_PHOTOSHOP_DROPPED = frozenset({0x0409, 0x040C, 0x0422, 0x0423, 0x0424, 0x0425})
_PHOTOSHOP_SIGNATURES = (b"8BIM", b"PHUT", b"AgHg", b"DCSR", b"MeSa")

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
        if len(data) < 8 or bytes(data[:2]) not in (b"II", b"MM"):
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


def _drop_thumbnail(_thumbnail: bytes) -> bytes:
    return b""


def _strip_thumbnail(
    tiff: _Tiff, ifd1_entries: list[tuple[int, int, int, int, int]], clean: Callable[[bytes], bytes]
) -> None:
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
    cleaned = clean(thumbnail)
    if len(cleaned) > length:
        cleaned = b""
    tiff.zero(start, length)
    tiff.data[start : start + len(cleaned)] = cleaned
    if length_entry[2] == 3:
        tiff.put_u16(length_entry[0] + 8, len(cleaned))
    else:
        tiff.put_u32(length_entry[0] + 8, len(cleaned))


def strip_exif(payload: bytes, *, clean_thumbnail: Callable[[bytes], bytes] = _drop_thumbnail) -> bytes | None:
    """The APP1 ``Exif`` payload without location data, the same length; ``None`` to drop it.

    ``clean_thumbnail`` gets the embedded JPEG thumbnail and returns it without metadata (at most
    as long; anything longer, or ``b""``, removes the thumbnail).
    """
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
                _strip_thumbnail(tiff, entries, clean_thumbnail)
            if doomed:
                tiff.remove_entries(ifd, doomed)
            if name == "ifd0" and next_ifd:
                queue.append((next_ifd, "ifd1"))
    except _BadTiff:
        return None
    return head + bytes(tiff.data)


# ---------------------------------------------------------------------------------------------
# XMP

_X_NS = "adobe:ns:meta/"
_XMP_NOTE_NS = "http://ns.adobe.com/xmp/note/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
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
    if namespace in (RDF_NS, _X_NS, XML_NS, ""):
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
    """One defused parse: which byte ranges to cut and which start tags to rewrite."""

    def __init__(self, data: bytes) -> None:
        self.packet = data  # (not `data`: a parser target's `data` method receives text)
        self.cuts: list[tuple[int, int]] = []
        self.tag_edits: dict[int, tuple[int, set[str]]] = {}  # start -> (end, attribute qnames)
        self.found = 0
        self._stack: list[tuple[int, bool]] = []  # (start index, doomed)
        self._prefixes: dict[str, list[str]] = {}
        self.parser = XmpEventParser(self)
        self.parser.run(data)

    def start_ns(self, prefix: str, uri: str) -> None:
        self._prefixes.setdefault(prefix, []).append(uri)

    def end_ns(self, prefix: str) -> None:
        stack = self._prefixes.get(prefix)
        if stack:
            stack.pop()

    def _resolve(self, qname: str) -> tuple[str, str]:
        prefix, _, local = qname.rpartition(":")
        if not prefix:
            return "", qname  # unprefixed attributes have no namespace
        stack = self._prefixes.get(prefix)
        return (stack[-1] if stack else ""), local

    def _inside_doomed(self) -> bool:
        return any(doomed for _start, doomed in self._stack)

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        start = self.parser.position
        namespace, local = split_name(tag)
        doomed = not self._inside_doomed() and is_location_property(namespace, local)
        if doomed:
            self.found += 1
        elif not self._inside_doomed() and any(is_location_property(*split_name(a)) for a in attrib):
            end = _tag_end(self.packet, start)
            names = set()
            for match in _ATTRIBUTE_RE.finditer(self.packet, start, end):
                qname = match.group(1).decode("utf-8", "replace")
                if is_location_property(*self._resolve(qname)):
                    names.add(qname)
            self.found += len(names)
            self.tag_edits[start] = (end, names)
        self._stack.append((start, doomed))

    def end(self, tag: str) -> None:
        start, doomed = self._stack.pop()
        if not doomed:
            return
        end = _tag_end(self.packet, start)
        if self.packet[end - 2 : end] != b"/>":  # not an empty element: cut through its end tag
            end = _tag_end(self.packet, self.parser.position)
        self.cuts.append((start, end))


def _rewrite_tag(tag: bytes, names: set[str]) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        return b"" if match.group(1).decode("utf-8", "replace") in names else match.group(0)

    return _ATTRIBUTE_RE.sub(replace, tag)


def strip_xmp(packet: bytes) -> bytes | None:
    """The XMP packet without location properties; ``None`` when it cannot be parsed safely
    (not well formed, or refused by defusedxml: a DTD, entity declarations)."""
    try:
        scan = _XmpScan(packet)
    except ValueError:
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
    except ValueError:
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
