"""gallery.media.location: location data leaves, the picture stays byte for byte."""

from __future__ import annotations

import io
import random
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import exifread
import pytest
from PIL import Image, IptcImagePlugin

from gallery.media.location import (
    JpegLocationStripper,
    LocationStripError,
    strip_location,
    strip_location_chunks,
)
from gallery.media.location_fields import is_location_property, strip_xmp

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"
if not CORPUS.exists():
    import os

    CORPUS = Path(os.environ.get("GALLERY_CORPUS", "/work/shared/corpus"))

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "drone-dji": "http://www.dji.com/drone-dji/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}

GPS = {1: "N", 2: (50.0, 50.0, 30.0), 3: "E", 4: (4.0, 21.0, 0.0), 5: 0, 6: 56.5}

XMP_BODY = """
<rdf:Description rdf:about="" {decls}
    exif:GPSLatitude="50,50.5N" exif:GPSLongitude="4,21.0E" xmp:CreatorTool="Gallery test"
    drone-dji:GpsLatitude="50.84" drone-dji:AbsoluteAltitude="+120.5">
  <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Opening plenary</rdf:li></rdf:Alt></dc:description>
  <dc:creator><rdf:Seq><rdf:li>Anna Kowalska</rdf:li></rdf:Seq></dc:creator>
  <photoshop:City>Brussels</photoshop:City>
  <photoshop:State>Brussels-Capital</photoshop:State>
  <photoshop:Country>Belgium</photoshop:Country>
  <Iptc4xmpCore:Location>Square Meeting Centre</Iptc4xmpCore:Location>
  <Iptc4xmpCore:CountryCode/>
  <exif:GPSAltitude>113/2</exif:GPSAltitude>
  <exif:GPSVersionID>2.3.0.0</exif:GPSVersionID>
  <exif:GPSMapDatum>WGS-84</exif:GPSMapDatum>
  <Iptc4xmpExt:LocationCreated>
    <rdf:Bag><rdf:li rdf:parseType="Resource">
      <Iptc4xmpExt:City>Brussels</Iptc4xmpExt:City>
      <Iptc4xmpExt:GPSLatitude>50.8425</Iptc4xmpExt:GPSLatitude>
    </rdf:li></rdf:Bag>
  </Iptc4xmpExt:LocationCreated>
  <dc:subject><rdf:Bag><rdf:li>clusters</rdf:li></rdf:Bag></dc:subject>
</rdf:Description>
"""


def xmp_packet(body: str = XMP_BODY) -> bytes:
    decls = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("x", "rdf"))
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f'<x:xmpmeta xmlns:x="{NS["x"]}"><rdf:RDF xmlns:rdf="{NS["rdf"]}">'
        + body.format(decls=decls)
        + "</rdf:RDF></x:xmpmeta>"
        + " " * 200
        + '<?xpacket end="w"?>'
    ).encode("utf-8")


def iim(datasets: list[tuple[int, int, bytes]]) -> bytes:
    return b"".join(b"\x1c" + bytes([r, d]) + struct.pack(">H", len(v)) + v for r, d, v in datasets)


def photoshop_block(resources: list[tuple[int, bytes]]) -> bytes:
    out = b"Photoshop 3.0\x00"
    for rid, body in resources:
        out += b"8BIM" + struct.pack(">H", rid) + b"\x00\x00" + struct.pack(">I", len(body)) + body
        if len(body) % 2:
            out += b"\x00"
    return out


IPTC_DATASETS = [
    (1, 90, b"\x1b%G"),  # UTF-8
    (2, 120, "Otwarcie konferencji — Bruksela".encode()),
    (2, 80, b"Anna Kowalska"),
    (2, 26, b"BEL"),
    (2, 27, b"Benelux"),
    (2, 90, b"Brussels"),
    (2, 92, b"Square"),
    (2, 95, b"Brussels-Capital"),
    (2, 100, b"BEL"),
    (2, 101, b"Belgium"),
    (2, 25, b"clusters"),
]


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def noisy_image(size: tuple[int, int] = (96, 64), seed: int = 7) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))


def build_jpeg(
    *,
    gps: bool = True,
    xmp: bytes | None = None,
    iptc: bytes | None = None,
    progressive: bool = False,
    exif_bytes: bytes | None = None,
    size: tuple[int, int] = (96, 64),
) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R6"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0x9003] = "2024:05:07 09:30:00"
    if gps:
        exif.get_ifd(0x8825).update(GPS)
    options: dict[str, object] = {"quality": 90, "exif": exif_bytes if exif_bytes is not None else exif.tobytes()}
    if xmp is not None:
        options["xmp"] = xmp
    if progressive:
        options.update(progressive=True, optimize=True)
    out = io.BytesIO()
    noisy_image(size).save(out, "JPEG", **options)
    data = out.getvalue()
    if iptc is not None:
        data = data[:2] + segment(0xED, iptc) + data[2:]
    return data


def segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(marker, payload) of the header segments up to and including the first SOS."""
    for marker, _start, payload in _walk(data):
        yield marker, payload


def _walk(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    pos = 2
    while True:
        while data[pos] != 0xFF:
            pos += 1
        while data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        yield marker, pos, data[pos + 4 : pos + 2 + length]
        if marker == 0xDA:
            return
        pos += 2 + length


def image_data(data: bytes) -> bytes:
    """From the first start-of-scan marker through the end-of-image marker (or the end)."""
    start = next(pos for marker, pos, _payload in _walk(data) if marker == 0xDA)
    end = data.find(b"\xff\xd9", start)  # cannot occur inside entropy-coded data
    return data[start : end + 2] if end >= 0 else data[start:]


def xmp_of(data: bytes) -> bytes | None:
    for marker, payload in segments(data):
        if marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            return payload[len(b"http://ns.adobe.com/xap/1.0/\x00") :]
    return None


def gps_tags(data: bytes) -> list[str]:
    tags = exifread.process_file(io.BytesIO(data), details=True)
    return [k for k in tags if k.startswith("GPS") or "GPSInfo" in k]


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.tobytes()


def iptc_of(data: bytes) -> dict[tuple[int, int], object]:
    with Image.open(io.BytesIO(data)) as img:
        return dict(IptcImagePlugin.getiptcinfo(img) or {})


# ---------------------------------------------------------------------------------------------


def test_gps_ifd_is_removed_and_blanked_in_place() -> None:
    original = build_jpeg()
    assert gps_tags(original), "the fixture must carry GPS"
    stripped = strip_location(original)
    assert gps_tags(stripped) == []
    with Image.open(io.BytesIO(stripped)) as img:
        exif = img.getexif()
        assert 0x8825 not in exif
        assert exif.get_ifd(0x8825) == {}
        assert exif[0x010F] == "Canon" and exif[0x0110] == "EOS R6"
        assert exif.get_ifd(0x8769)[0x9003] == "2024:05:07 09:30:00"
    # rewritten in place: same length, and the GPS values' bytes are gone, not just unlinked
    assert len(stripped) == len(original)
    raw_lat = struct.pack("<II", 50, 1) + struct.pack("<II", 50, 1)
    assert raw_lat in original
    assert raw_lat not in stripped
    assert image_data(stripped) == image_data(original)
    assert pixels(stripped) == pixels(original)


def test_xmp_location_properties_are_removed_and_the_rest_kept() -> None:
    original = build_jpeg(gps=False, xmp=xmp_packet())
    stripped = strip_location(original)
    packet = xmp_of(stripped)
    assert packet is not None
    root = ET.fromstring(packet.decode("utf-8").split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    found = {(el.tag.split("}")[0][1:], el.tag.split("}")[1]) for el in root.iter() if el.tag.startswith("{")}
    attributes = {name for el in root.iter() for name in el.attrib}
    for namespace, name in found:
        assert not is_location_property(namespace, name), name
    for attribute in attributes:
        if attribute.startswith("{"):
            assert not is_location_property(*attribute[1:].split("}")), attribute
    text = packet.decode("utf-8")
    for gone in ("Brussels", "Belgium", "Square Meeting Centre", "50,50.5N", "50.84", "120.5", "113/2", "WGS-84"):
        assert gone not in text
    for name in (
        "GPSLatitude",
        "GpsLatitude",
        "GPSVersionID",
        "GPSMapDatum",
        "AbsoluteAltitude",
        "LocationCreated",
        "photoshop:City",
        "photoshop:State",
        "photoshop:Country",
        "Iptc4xmpCore:Location",
        "CountryCode",
    ):
        assert name not in text, name
    for kept in ("Opening plenary", "Anna Kowalska", "clusters", "Gallery test", "xpacket end"):
        assert kept in text
    assert image_data(stripped) == image_data(original)
    assert pixels(stripped) == pixels(original)


def test_iptc_location_datasets_are_removed_and_caption_kept() -> None:
    block = photoshop_block([(0x0404, iim(IPTC_DATASETS)), (0x0425, b"\x01" * 16), (0x03ED, b"\x00" * 16)])
    original = build_jpeg(gps=False, iptc=block)
    before = iptc_of(original)
    assert before[(2, 90)] == b"Brussels"
    stripped = strip_location(original)
    after = iptc_of(stripped)
    for dataset in (26, 27, 90, 92, 95, 100, 101):
        assert (2, dataset) not in after
    assert after[(2, 120)] == "Otwarcie konferencji — Bruksela".encode()
    assert after[(2, 80)] == b"Anna Kowalska"
    assert after[(2, 25)] == b"clusters"
    app13 = [p for m, p in segments(stripped) if m == 0xED]
    assert len(app13) == 1
    assert b"8BIM\x04\x25" not in app13[0]  # the now-stale IPTC digest is dropped
    assert b"8BIM\x03\xed" in app13[0]  # other resources are kept
    assert b"Brussels" not in stripped and b"Belgium" not in stripped
    assert image_data(stripped) == image_data(original)
    assert pixels(stripped) == pixels(original)


def test_everything_at_once_streams_identically_in_any_chunking() -> None:
    block = photoshop_block([(0x0404, iim(IPTC_DATASETS))])
    original = build_jpeg(xmp=xmp_packet(), iptc=block, progressive=True, size=(160, 120))
    whole = strip_location(original)
    assert gps_tags(whole) == [] and b"Brussels" not in whole
    for size in (1, 2, 3, 7, 64, 4096, len(original)):
        stripper = JpegLocationStripper()
        pieces = [stripper.feed(original[i : i + size]) for i in range(0, len(original), size)]
        assert b"".join(pieces) + stripper.close() == whole, size
    chunks = strip_location_chunks(original[i : i + 1000] for i in range(0, len(original), 1000))
    assert b"".join(chunks) == whole
    assert image_data(whole) == image_data(original)
    assert pixels(whole) == pixels(original)


def test_progressive_scans_are_all_kept() -> None:
    original = build_jpeg(progressive=True, size=(200, 150))
    assert original.count(b"\xff\xda") > 2, "a progressive JPEG has several scans"
    stripped = strip_location(original)
    assert image_data(stripped) == image_data(original)
    assert image_data(stripped).count(b"\xff\xda") == image_data(original).count(b"\xff\xda")
    assert pixels(stripped) == pixels(original)


def test_application_segments_between_scans_are_dropped() -> None:
    original = build_jpeg(gps=False, progressive=True, size=(200, 150))
    sos = [i for i in range(len(original) - 1) if original[i : i + 2] == b"\xff\xda"]
    gps_exif = Image.Exif()
    gps_exif.get_ifd(0x8825).update(GPS)
    sneaky = segment(0xE1, b"Exif\x00\x00" + gps_exif.tobytes()[6:])
    spliced = original[: sos[2]] + sneaky + original[sos[2] :]
    stripped = strip_location(spliced)
    assert sneaky not in stripped
    assert stripped == strip_location(original)
    assert pixels(stripped) == pixels(original)


def test_data_after_the_end_of_image_is_dropped() -> None:
    original = build_jpeg()
    trailer = b"\x00\x00\x00\x18ftypmp42" + b"\xa9xyz+50.8425+004.3500/" + b"\xff\xe1\x00\x10Exif\x00\x00" * 3
    stripped = strip_location(original + trailer)
    assert stripped.endswith(b"\xff\xd9")
    assert b"ftypmp42" not in stripped and b"+50.8425" not in stripped
    assert stripped == strip_location(original)


def test_mpo_keeps_only_the_first_frame() -> None:
    path = CORPUS / "pillow-images" / "frozenpond.mpo"
    if not path.exists():
        pytest.skip("corpus not available")
    data = path.read_bytes()
    stripped = strip_location(data)
    with Image.open(io.BytesIO(stripped)) as img:
        assert getattr(img, "n_frames", 1) == 1
        img.load()
    assert not any(m == 0xE2 and p.startswith(b"MPF\x00") for m, p in segments(stripped))
    assert pixels(stripped) == pixels(data)


def _tiff_with_thumbnail(thumbnail: bytes) -> bytes:
    """A little-endian EXIF block: IFD0 (Make, GPS pointer) → GPS IFD; IFD1 with a JPEG thumbnail."""
    make = b"Canon\x00"
    ifd0_at = 8
    ifd0 = 2 + 2 * 12 + 4
    gps_at = ifd0_at + ifd0
    gps_size = 2 + 12 + 4
    make_at = gps_at + gps_size
    ifd1_at = make_at + len(make) + (len(make) % 2)
    ifd1_size = 2 + 2 * 12 + 4
    thumb_at = ifd1_at + ifd1_size
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd0_at))
    out += struct.pack("<H", 2)
    out += struct.pack("<HHII", 0x010F, 2, len(make), make_at)
    out += struct.pack("<HHII", 0x8825, 4, 1, gps_at)
    out += struct.pack("<I", ifd1_at)
    out += struct.pack("<H", 1) + struct.pack("<HHI", 1, 2, 2) + b"N\x00\x00\x00" + struct.pack("<I", 0)
    out += make + b"\x00" * (len(make) % 2)
    out += struct.pack("<H", 2)
    out += struct.pack("<HHII", 0x0201, 4, 1, thumb_at)
    out += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
    out += struct.pack("<I", 0)
    out += thumbnail
    return b"Exif\x00\x00" + bytes(out)


def test_embedded_thumbnail_loses_its_own_metadata() -> None:
    thumb_exif = Image.Exif()
    thumb_exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    noisy_image((16, 12), seed=3).save(out, "JPEG", exif=thumb_exif.tobytes(), xmp=xmp_packet())
    thumbnail = out.getvalue()
    exif_block = _tiff_with_thumbnail(thumbnail)
    main = io.BytesIO()
    noisy_image().save(main, "JPEG", exif=exif_block)
    original = main.getvalue()
    assert gps_tags(original)
    stripped = strip_location(original)
    assert gps_tags(stripped) == []
    assert b"Brussels" not in stripped
    tags = exifread.process_file(io.BytesIO(stripped), details=True)
    cleaned_thumbnail = tags["JPEGThumbnail"]
    assert cleaned_thumbnail.startswith(b"\xff\xd8") and cleaned_thumbnail.endswith(b"\xff\xd9")
    assert len(cleaned_thumbnail) < len(thumbnail)
    assert pixels(cleaned_thumbnail) == pixels(thumbnail)
    assert str(tags["Image Make"]) == "Canon"
    assert pixels(stripped) == pixels(original)


def test_unparseable_exif_is_dropped_whole() -> None:
    broken = b"Exif\x00\x00II*\x00" + struct.pack("<I", 4000) + b"\x00" * 20
    original = build_jpeg(exif_bytes=broken)
    stripped = strip_location(original)
    assert not any(m == 0xE1 and p.startswith(b"Exif") for m, p in segments(stripped))
    assert pixels(stripped) == pixels(original)


def test_other_application_segments_are_dropped_and_colour_data_kept() -> None:
    original = build_jpeg(gps=False)
    icc = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"\x00" * 128)
    adobe = segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")
    maker = segment(0xEA, b"AROT\x00" + b"+50.8425" * 4)  # some maker's proprietary block
    extended = segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 40 + b"<Brussels>")
    mpf = segment(0xE2, b"MPF\x00II*\x00" + b"\x00" * 16)
    spliced = original[:2] + icc + adobe + maker + extended + mpf + original[2:]
    stripped = strip_location(spliced)
    assert icc in stripped and adobe in stripped
    for gone in (maker, extended, mpf):
        assert gone not in stripped
    assert image_data(stripped) == image_data(original)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, b"\xff\xd8", b"\xff\xd8\xff\xe1\x00\x10Exif", b"\xff\xd8\xff\xd9"],
    ids=["empty", "png", "soi-only", "truncated-app1", "no-image-data"],
)
def test_not_a_usable_jpeg_raises_before_any_output(data: bytes) -> None:
    with pytest.raises(LocationStripError):
        strip_location(data)
    closed = []

    class Source:
        def __init__(self) -> None:
            self._it = iter([data[:3], data[3:]])

        def __iter__(self) -> Source:
            return self

        def __next__(self) -> bytes:
            return next(self._it)

        def close(self) -> None:
            closed.append(True)

    with pytest.raises(LocationStripError):
        strip_location_chunks(Source())
    assert closed == [True]


def _corpus_jpegs() -> list[Path]:
    if not CORPUS.exists():
        return []
    found = [p for p in CORPUS.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".mpo") and p.is_file()]
    return sorted(found)


@pytest.mark.parametrize("path", _corpus_jpegs(), ids=lambda p: p.name)
def test_corpus_jpegs_lose_gps_and_keep_their_pixels(path: Path) -> None:
    data = path.read_bytes()
    stripped = strip_location(data)
    assert gps_tags(stripped) == []
    assert image_data(stripped) == image_data(data)
    packet = xmp_of(stripped)
    if packet is not None:
        assert strip_xmp(packet) == packet  # nothing left to remove
    try:
        expected = pixels(data)
    except OSError:
        return  # the original itself does not decode completely (truncated samples)
    assert pixels(stripped) == expected
