"""XMP packets, parsed safely: the one XML entry point of the media package.

XMP is untrusted XML from uploaded files.  Every parse goes through ``defusedxml``, which refuses
document type declarations, entity declarations and external references before expat acts on
them: no entity expansion (the "billion laughs"), no external entities, no network or file
access.  A refused packet raises :class:`XmpRefused`; one that is not well formed raises
:class:`XmpUnreadable` (both are ``ValueError``).

* :func:`parse_xmp_packet` reads the top-level ``rdf:Description`` properties into
  ``{"prefix:Name": values}`` (metadata reading, :mod:`gallery.media.metadata.reading`);
* :class:`XmpEventParser` reports elements with their byte offsets, for rewriting a packet in
  place (location stripping, :mod:`gallery.media.location`);
* :func:`trim_packet` and :data:`PACKET_OPENERS` find the ``<x:xmpmeta>`` packet in a payload.

Only the standard library and defusedxml are imported.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Final, Protocol

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, fromstring

__all__ = [
    "PACKET_OPENERS",
    "RDF_NS",
    "XML_NS",
    "XMP_MAX_PACKET",
    "XmpEventParser",
    "XmpEvents",
    "XmpRefused",
    "XmpUnreadable",
    "packet_closer",
    "parse_xmp_packet",
    "split_name",
    "trim_packet",
]

#: Largest XMP packet that is parsed.
XMP_MAX_PACKET: Final[int] = 4 * 1024 * 1024

RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"

_PREFIXES: Final[dict[str, str]] = {
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
PACKET_OPENERS: Final[tuple[bytes, ...]] = (b"<x:xmpmeta", b"<x:xapmeta", b"<xmp:xmpmeta")
_CLOSERS: Final[dict[bytes, bytes]] = {
    b"<x:xmpmeta": b"</x:xmpmeta>",
    b"<x:xapmeta": b"</x:xapmeta>",
    b"<xmp:xmpmeta": b"</xmp:xmpmeta>",
}


class XmpRefused(ValueError):
    """The packet declares a DTD, entities or external references (never expanded)."""


class XmpUnreadable(ValueError):
    """The packet is not well-formed XML (or is too large)."""


def packet_closer(opener: bytes) -> bytes:
    """The end tag that closes a packet opened by one of :data:`PACKET_OPENERS`."""
    return _CLOSERS[opener]


def trim_packet(data: bytes) -> bytes:
    """The ``<x:xmpmeta>...</x:xmpmeta>`` part of an XMP payload, or the payload itself."""
    for opener in PACKET_OPENERS:
        start = data.find(opener)
        if start >= 0:
            end = data.find(_CLOSERS[opener], start)
            if end >= 0:
                return data[start : end + len(_CLOSERS[opener])]
    return data


def split_name(name: str) -> tuple[str, str]:
    """(namespace URI, local name) of an ElementTree name ``{uri}local`` (no namespace: "")."""
    if name.startswith("{"):
        uri, _, local = name[1:].partition("}")
        return uri, local
    return "", name


def _excerpt(data: bytes, err: ET.ParseError) -> str:
    """A short, printable piece of the packet where the parser stopped (for the message)."""
    line, column = getattr(err, "position", (0, 0))
    lines = data.split(b"\n")
    if not 1 <= line <= len(lines):
        return ""
    piece = lines[line - 1][column : column + 24].decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else "?" for ch in piece)


def _unreadable(data: bytes, err: ET.ParseError) -> XmpUnreadable:
    excerpt = _excerpt(data, err)
    return XmpUnreadable(f"XMP not well formed: {err}" + (f" at {excerpt!r}" if excerpt else ""))


def _refused(err: DefusedXmlException) -> XmpRefused:
    return XmpRefused(f"XMP packet with DOCTYPE/ENTITY declaration ignored ({type(err).__name__})")


def _tree(data: bytes) -> ET.Element:
    if len(data) > XMP_MAX_PACKET:
        raise XmpUnreadable("XMP packet too large")
    try:
        try:
            root: ET.Element = fromstring(data, forbid_dtd=True)
        except ET.ParseError:
            # A packet with a stray invalid byte sequence: read it as UTF-8 with replacements.
            root = fromstring(data.decode("utf-8", errors="replace").encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException as err:
        raise _refused(err) from None
    except ET.ParseError as err:
        raise _unreadable(data, err) from None
    return root


def _key(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    uri, local = split_name(tag)
    if uri in (RDF_NS, XML_NS):
        return None
    prefix = _PREFIXES.get(uri)
    return f"{prefix}:{local}" if prefix else f"{{{uri}}}{local}"


def _values(prop: ET.Element) -> tuple[str, ...] | None:
    for container in ("Alt", "Seq", "Bag"):
        node = prop.find(f"{{{RDF_NS}}}{container}")
        if node is None:
            continue
        items: list[tuple[bool, str]] = []
        for li in node.findall(f"{{{RDF_NS}}}li"):
            text = li.text if len(li) == 0 else li.get(f"{{{RDF_NS}}}value", li.text)
            if text is None:
                continue
            is_default = li.get(f"{{{XML_NS}}}lang", "").lower() == "x-default"
            items.append((is_default, text))
        if container == "Alt":
            items.sort(key=lambda item: not item[0])  # stable: x-default first
        return tuple(text for _, text in items)
    resource = prop.get(f"{{{RDF_NS}}}resource")
    if resource is not None:
        return (resource,)
    if len(prop) == 0:
        return (prop.text or "",)
    return None  # a structure; not needed here


def parse_xmp_packet(packet: bytes | str) -> dict[str, tuple[str, ...]]:
    """Parse an XMP packet into ``{"prefix:Name": values}``.

    Keys use the standard prefixes (dc, xmp, exif, exifEX, tiff, photoshop, xmpRights,
    Iptc4xmpCore, aux, ...) whatever prefix the file used, and ``{uri}Name`` for other
    namespaces; values are tuples of strings (for a language alternative, the x-default entry
    comes first).  Only top-level ``rdf:Description`` properties are read (not the nested
    descriptions of derived-from or pantry documents).  Raises :class:`XmpRefused` for a DTD or
    entity declaration and :class:`XmpUnreadable` for XML that is not well formed.
    """
    data = packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)
    root = _tree(data)
    props: dict[str, tuple[str, ...]] = {}
    rdf_nodes = [root] if root.tag == f"{{{RDF_NS}}}RDF" else list(root.iter(f"{{{RDF_NS}}}RDF"))
    for rdf in rdf_nodes:
        for desc in rdf.findall(f"{{{RDF_NS}}}Description"):
            for attr, value in desc.attrib.items():
                key = _key(attr)
                if key is not None:
                    props.setdefault(key, (value,))
            for prop in desc:
                key = _key(prop.tag)
                if key is None:
                    continue
                values = _values(prop)
                if values is not None:
                    props.setdefault(key, values)
    return props


class XmpEvents(Protocol):
    """What :class:`XmpEventParser` reports to (ElementTree's parser-target interface).

    Attributes named ``data``, ``comment``, ``pi`` or ``close`` would be called as the
    target's handlers of those events: a target must not have them unless it means it.
    """

    def start(self, tag: str, attrib: dict[str, str]) -> None: ...

    def end(self, tag: str) -> None: ...

    def start_ns(self, prefix: str, uri: str) -> None: ...

    def end_ns(self, prefix: str) -> None: ...


class XmpEventParser:
    """Feeds a whole packet to ``events``; :attr:`position` is the byte offset of the event.

    Names arrive as ``{uri}local`` (see :func:`split_name`).  While ``start`` runs, the offset
    is that of the start tag's ``<``; while ``end`` runs, that of the end tag (for an empty
    element ``<a/>``, its start tag).
    """

    def __init__(self, events: XmpEvents) -> None:
        self._parser = DefusedXMLParser(target=events, forbid_dtd=True)

    @property
    def position(self) -> int:
        return int(self._parser.parser.CurrentByteIndex)

    def run(self, data: bytes) -> None:
        if len(data) > XMP_MAX_PACKET:
            raise XmpUnreadable("XMP packet too large")
        try:
            self._parser.feed(data)
            self._parser.close()
        except DefusedXmlException as err:
            raise _refused(err) from None
        except ET.ParseError as err:
            raise _unreadable(data, err) from None
