"""XMP packets parsed with defusedxml (gallery.media.xmp)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from gallery.media.metadata.capture_time import capture_time
from gallery.media.metadata.reading import read_metadata
from gallery.media.xmp import (
    XMP_MAX_PACKET,
    XmpEventParser,
    XmpRefused,
    XmpUnreadable,
    parse_xmp_packet,
    split_name,
    trim_packet,
)

BRUSSELS = "Europe/Brussels"


def test_parse_xmp_packet_structures(media_xmp: Callable[..., str]) -> None:
    body = (
        '<dc:title><rdf:Alt><rdf:li xml:lang="pl">Tytuł</rdf:li>'
        '<rdf:li xml:lang="x-default">Title</rdf:li></rdf:Alt></dc:title>'
        "<dc:subject><rdf:Bag><rdf:li>one</rdf:li><rdf:li>two</rdf:li></rdf:Bag></dc:subject>"
        "<dc:creator><rdf:Seq><rdf:li>Ann</rdf:li><rdf:li>Bob</rdf:li></rdf:Seq></dc:creator>"
        '<xmpRights:WebStatement rdf:resource="https://example.org/licence"/>'
        "<other:Thing>x</other:Thing>"
        "<xmpMM:Pantry><rdf:Bag><rdf:li><rdf:Description><dc:description>not ours</dc:description>"
        "<xmp:CreateDate>1999-01-01T00:00:00Z</xmp:CreateDate></rdf:Description></rdf:li></rdf:Bag></xmpMM:Pantry>"
    )
    packet = media_xmp(
        body,
        {
            "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
            "other": "urn:example:other/",
            "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
        },
    )
    props = parse_xmp_packet(packet)
    assert props["dc:title"] == ("Title", "Tytuł")
    assert props["dc:subject"] == ("one", "two")
    assert props["dc:creator"] == ("Ann", "Bob")
    assert props["xmpRights:WebStatement"] == ("https://example.org/licence",)
    assert props["{urn:example:other/}Thing"] == ("x",)
    assert "dc:description" not in props and "xmp:CreateDate" not in props


def test_xmp_prefix_is_resolved_by_namespace_not_by_name(
    media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]
) -> None:
    packet = media_xmp("<a:CreateDate>2024-05-07T09:30:00Z</a:CreateDate>", {"a": "http://ns.adobe.com/xap/1.0/"})
    assert (
        capture_time(read_metadata(io.BytesIO(media_jpeg(xmp=packet)), kind="jpeg"), BRUSSELS).source_tag
        == "xmp:CreateDate"
    )


# ======================================================================================
# Hostile XML: defusedxml refuses it, nothing is ever expanded or fetched

_RDF_BODY = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>{}</dc:description>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _billion_laughs() -> str:
    entities = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return f"<!DOCTYPE x:xmpmeta [{entities}]>" + _RDF_BODY.format("&lol9;")


def test_billion_laughs_is_refused_without_expanding() -> None:
    started = time.monotonic()
    with pytest.raises(XmpRefused, match="DOCTYPE"):
        parse_xmp_packet(_billion_laughs())
    assert time.monotonic() - started < 1


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    packet = f'<!DOCTYPE x:xmpmeta [<!ENTITY e SYSTEM "{secret.as_uri()}">]>' + _RDF_BODY.format("&e;")
    with pytest.raises(XmpRefused) as caught:
        parse_xmp_packet(packet)
    assert "TOP SECRET" not in str(caught.value)


def test_external_dtd_is_refused() -> None:
    packet = '<!DOCTYPE x:xmpmeta SYSTEM "http://127.0.0.1:9/evil.dtd">' + _RDF_BODY.format("caption")
    with pytest.raises(XmpRefused):
        parse_xmp_packet(packet)


def test_a_hostile_packet_in_a_file_is_reported_not_expanded() -> None:
    assert issubclass(XmpRefused, ValueError) and issubclass(XmpUnreadable, ValueError)
    # In a PNG iTXt chunk the whole payload is the packet, DOCTYPE included.
    packet = _billion_laughs().encode("utf-8")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"))
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG", pnginfo=info)
    raw = read_metadata(io.BytesIO(buffer.getvalue()), kind="png")
    assert raw.xmp == {} and not raw.xmp_ok
    assert raw.xmp_error is not None and raw.xmp_error.startswith("XMP unreadable")
    assert "lollol" not in raw.xmp_error  # never expanded


def test_undefined_entity_without_a_dtd_is_unreadable() -> None:
    with pytest.raises(XmpUnreadable, match="undefined entity"):
        parse_xmp_packet(_RDF_BODY.format("&nope;"))


def test_unreadable_message_shows_where_parsing_stopped() -> None:
    with pytest.raises(XmpUnreadable, match="at '<broken"):
        parse_xmp_packet('<x:xmpmeta xmlns:x="adobe:ns:meta/"><<broken</x:xmpmeta>')


def test_oversized_packet_is_not_parsed() -> None:
    with pytest.raises(XmpUnreadable, match="too large"):
        parse_xmp_packet(b"<x>" + b" " * XMP_MAX_PACKET + b"</x>")


def test_trim_packet_finds_the_wrapper() -> None:
    packet = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/></x:xmpmeta>'
    assert trim_packet(b"junk" + packet + b"junk").startswith(b"<x:xmpmeta")
    assert trim_packet(b"<other/>") == b"<other/>"


class _Recorder:
    def __init__(self) -> None:
        self.parser = XmpEventParser(self)
        self.events: list[tuple[str, str, int]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.events.append(("start", tag, self.parser.position))

    def end(self, tag: str) -> None:
        self.events.append(("end", tag, self.parser.position))

    def start_ns(self, prefix: str, uri: str) -> None:
        self.events.append(("ns", f"{prefix}={uri}", self.parser.position))

    def end_ns(self, prefix: str) -> None:
        pass


def test_event_parser_reports_byte_offsets() -> None:
    data = '<a xmlns:p="urn:p"><p:b>é</p:b><c/></a>'.encode()
    recorder = _Recorder()
    recorder.parser.run(data)
    starts = {tag: pos for kind, tag, pos in recorder.events if kind == "start"}
    assert data[starts["{urn:p}b"] :].startswith(b"<p:b>")
    assert data[starts["c"] :].startswith(b"<c/>")
    ends = [pos for kind, tag, pos in recorder.events if kind == "end" and tag == "{urn:p}b"]
    assert data[ends[0] :].startswith(b"</p:b>")
    assert split_name("{urn:p}b") == ("urn:p", "b") and split_name("c") == ("", "c")


def test_event_parser_refuses_a_dtd() -> None:
    with pytest.raises(XmpRefused):
        _Recorder().parser.run(b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')
