"""Location fields inside metadata blocks (gallery.media.location_fields)."""

from __future__ import annotations

import struct
import time

from PIL import Image

from gallery.media.location_fields import (
    IPTC_LOCATION_DATASETS,
    is_location_property,
    strip_exif,
    strip_iptc,
    strip_photoshop_resources,
    strip_xmp,
)
from tests.unit.media.test_location import GPS, iim, xmp_packet

X_NS = "adobe:ns:meta/"


def test_xmp_with_a_doctype_or_bad_xml_is_dropped() -> None:
    assert strip_xmp(b'<!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>') is None
    assert strip_xmp(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed></x:xmpmeta>") is None
    clean = xmp_packet("<rdf:Description rdf:about='' {decls}><dc:title>t</dc:title></rdf:Description>")
    assert strip_xmp(clean) == clean  # nothing to remove: the packet is kept byte for byte


def test_iptc_parser_rejects_garbage_and_handles_padding() -> None:
    data = iim([(2, 120, b"caption"), (2, 90, b"City")])
    assert strip_iptc(data + b"\x00\x00\x00") == iim([(2, 120, b"caption")])
    assert strip_iptc(b"\x1c\x02") is None
    assert strip_iptc(b"garbage") is None


def test_billion_laughs_in_xmp_is_dropped_without_expanding() -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    packet = f"<!DOCTYPE x:xmpmeta [{entities}]>".encode() + xmp_packet().replace(b"clusters", b"&a9;")
    started = time.monotonic()
    assert strip_xmp(packet) is None
    assert time.monotonic() - started < 1


def test_external_entity_in_xmp_is_dropped() -> None:
    packet = b'<!DOCTYPE x:xmpmeta [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xmp_packet().replace(
        b"clusters", b"&e;"
    )
    assert strip_xmp(packet) is None


def test_attribute_form_is_rewritten_and_other_attributes_kept() -> None:
    packet = (
        f'<x:xmpmeta xmlns:x="{X_NS}"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" exif:GPSLatitude="50,50.5N" tiff:Make="Canon"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    stripped = strip_xmp(packet)
    assert stripped is not None
    assert b"GPSLatitude" not in stripped and b'tiff:Make="Canon"' in stripped


def test_location_property_names() -> None:
    assert is_location_property("http://ns.adobe.com/exif/1.0/", "GPSLatitude")
    assert is_location_property("http://ns.adobe.com/photoshop/1.0/", "City")
    assert is_location_property("http://purl.org/dc/elements/1.1/", "coverage")
    assert not is_location_property("http://purl.org/dc/elements/1.1/", "description")
    assert not is_location_property(X_NS, "xmpmeta")


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif.get_ifd(0x8825).update(GPS)
    return exif.tobytes()  # Pillow writes the "Exif\\0\\0" header itself


def test_strip_exif_keeps_the_length_and_removes_the_gps_ifd() -> None:
    payload = _exif_with_gps()
    stripped = strip_exif(payload)
    assert stripped is not None and len(stripped) == len(payload)
    exif = Image.Exif()
    exif.load(stripped[6:])
    assert exif[0x010F] == "Canon" and 0x8825 not in exif
    assert strip_exif(b"Exif\x00\x00garbage-not-tiff") is None


def test_iptc_location_datasets_and_photoshop_copies() -> None:
    assert {90, 92, 95, 100, 101, 26, 27} == set(IPTC_LOCATION_DATASETS)
    iptc = iim([(2, 120, b"caption"), (2, 101, b"Belgium")])
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    exif_copy = b"8BIM" + struct.pack(">H", 0x0422) + b"\x00\x00" + struct.pack(">I", 4) + b"EXIF"
    cleaned = strip_photoshop_resources(resource + exif_copy)
    assert cleaned is not None
    assert b"caption" in cleaned and b"Belgium" not in cleaned and b"EXIF" not in cleaned
    assert strip_photoshop_resources(b"not a resource block") is None
