"""Captions, titles, keywords, credit and copyright (gallery.media.metadata.captions)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gallery.media.metadata.captions import (
    CAPTION_MAX,
    FIELD_MAX,
    Captions,
    extract_captions,
    is_boilerplate,
    read_iptc,
)
from gallery.media.metadata.reading import read_metadata
from gallery.media.metadata.record import RawMetadata

POLISH = "Zdjęcie z konferencji – Bruksela"
UTF8 = (1, 90, b"\x1b%G")

# EXIF tags
IMAGE_DESCRIPTION, MAKE, MODEL, ARTIST, COPYRIGHT = 0x010E, 0x010F, 0x0110, 0x013B, 0x8298
XP_TITLE, XP_COMMENT, XP_AUTHOR, XP_KEYWORDS = 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E


def _xp(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\x00\x00"


def _captions(data: bytes) -> Captions:
    raw = read_metadata(io.BytesIO(data), kind="jpeg")
    with Image.open(io.BytesIO(data)) as image:
        iptc = read_iptc(image)
    return extract_captions(raw, iptc)


# ======================================================================================
# Sources and precedence


def test_xmp_wins_over_iptc_wins_over_exif(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    xmp = media_xmp(
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">XMP caption</rdf:li></rdf:Alt></dc:description>'
        "<dc:subject><rdf:Bag><rdf:li>xmp-kw</rdf:li></rdf:Bag></dc:subject>"
    )
    data = media_jpeg(
        ifd0={
            IMAGE_DESCRIPTION: "EXIF caption",
            ARTIST: "EXIF Artist",
            COPYRIGHT: "EXIF ©",
            XP_TITLE: _xp("EXIF title"),
        },
        xmp=xmp,
        iptc=[UTF8, (2, 120, b"IPTC caption"), (2, 5, b"IPTC title"), (2, 25, b"iptc-kw"), (2, 116, b"IPTC (c)")],
    )
    captions = _captions(data)
    assert captions.caption == "XMP caption"  # XMP
    assert captions.title == "IPTC title"  # no XMP title: IPTC
    assert captions.keywords == ["xmp-kw"]  # XMP
    assert captions.copyright == "IPTC (c)"  # no XMP rights: IPTC
    assert captions.credit == "EXIF Artist"  # only EXIF has one
    assert captions.sources == {
        "caption": "xmp:dc:description",
        "title": "iptc:2:5",
        "keywords": "xmp:dc:subject",
        "copyright": "iptc:2:116",
        "credit": "exif:Artist",
    }


def test_iptc_only(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(
        iptc=[
            UTF8,
            (2, 120, POLISH.encode("utf-8")),
            (2, 5, b"Opening session"),
            (2, 80, b"Anna Nowak"),
            (2, 80, b"Jan Kowalski"),
            (2, 110, b"Agency"),
            (2, 25, b"conference"),
            (2, 25, b"Brussels"),
            (2, 25, b"conference"),
            (2, 116, "© 2024 Anna Nowak".encode()),
        ]
    )
    captions = _captions(data)
    assert captions == Captions(
        caption=POLISH,
        title="Opening session",
        keywords=["conference", "Brussels"],
        credit="Anna Nowak, Jan Kowalski",
        copyright="© 2024 Anna Nowak",
        sources={
            "caption": "iptc:2:120",
            "title": "iptc:2:5",
            "credit": "iptc:2:80",
            "copyright": "iptc:2:116",
            "keywords": "iptc:2:25",
        },
    )


def test_exif_only_with_windows_xp_tags(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(
        ifd0={
            MAKE: "NIKON CORPORATION",
            MODEL: "NIKON D850",
            XP_TITLE: _xp("Tytuł"),
            XP_COMMENT: _xp(POLISH),
            XP_AUTHOR: _xp("Zofia"),
            XP_KEYWORDS: _xp("panel; keynote;panel"),
            COPYRIGHT: "Zofia 2024",
        }
    )
    captions = _captions(data)
    assert captions.caption == POLISH and captions.sources["caption"] == "exif:XPComment"
    assert captions.title == "Tytuł"
    assert captions.credit == "Zofia"
    assert captions.keywords == ["panel", "keynote"]
    assert captions.copyright == "Zofia 2024"


def test_xmp_fields(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = (
        '<dc:title><rdf:Alt><rdf:li xml:lang="pl">Otwarcie</rdf:li>'
        '<rdf:li xml:lang="x-default">Opening</rdf:li></rdf:Alt></dc:title>'
        "<dc:creator><rdf:Seq><rdf:li>Anna</rdf:li><rdf:li>Bob</rdf:li></rdf:Seq></dc:creator>"
        '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">CC BY 4.0 Anna</rdf:li></rdf:Alt></dc:rights>'
        "<photoshop:Credit>Agency</photoshop:Credit>"
        '<Iptc4xmpCore:AltTextAccessibility><rdf:Alt><rdf:li xml:lang="x-default">Two people on a stage</rdf:li>'
        "</rdf:Alt></Iptc4xmpCore:AltTextAccessibility>"
    )
    captions = _captions(media_jpeg(xmp=media_xmp(body)))
    assert captions.title == "Opening"  # x-default, though listed second
    assert captions.credit == "Anna, Bob"
    assert captions.copyright == "CC BY 4.0 Anna"
    assert captions.alt_text == "Two people on a stage"
    assert captions.caption is None and captions.keywords == []


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (b"ASCII\x00\x00\x00Sunset over the Atomium", "Sunset over the Atomium"),
        (b"UNICODE\x00" + POLISH.encode("utf-16-le"), POLISH),
        (b"UNICODE\x00" + POLISH.encode("utf-16-be"), POLISH),
        (b"\x00" * 8 + "Réunion".encode(), "Réunion"),
        (b"ASCII\x00\x00\x00" + b" " * 60, None),
        (b"\x00" * 40, None),
    ],
)
def test_exif_user_comment_is_the_last_caption_source(comment: bytes, expected: str | None) -> None:
    raw = RawMetadata(
        kind="jpeg", exif={"EXIF UserComment": comment, "Image ImageDescription": "OLYMPUS DIGITAL CAMERA"}
    )
    assert extract_captions(raw, None).caption == expected


def test_photoshop_credit_when_no_creator(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    captions = _captions(
        media_jpeg(xmp=media_xmp("<photoshop:Credit>Agency</photoshop:Credit>"), ifd0={ARTIST: "Someone"})
    )
    assert captions.credit == "Agency"


def test_nothing_at_all(media_jpeg: Callable[..., bytes]) -> None:
    assert _captions(media_jpeg()) == Captions()
    assert extract_captions(RawMetadata(kind="png"), None) == Captions()


# ======================================================================================
# Character sets


def test_iptc_utf8_without_the_charset_declaration_is_still_utf8(media_jpeg: Callable[..., bytes]) -> None:
    assert _captions(media_jpeg(iptc=[(2, 120, POLISH.encode("utf-8"))])).caption == POLISH


def test_iptc_legacy_bytes_fall_back_to_a_single_byte_charset(media_jpeg: Callable[..., bytes]) -> None:
    captions = _captions(
        media_jpeg(iptc=[(2, 120, "Café – Genève".encode("cp1252")), (2, 80, "Müller".encode("latin-1"))])
    )
    assert captions.caption == "Café – Genève"
    assert captions.credit == "Müller"


def test_declared_utf8_with_bad_bytes_is_replaced_not_raised(media_jpeg: Callable[..., bytes]) -> None:
    captions = _captions(media_jpeg(iptc=[UTF8, (2, 120, b"caf\xe9 ok")]))
    assert captions.caption == "caf\ufffd ok"


def test_decomposed_text_is_normalised_to_nfc(media_jpeg: Callable[..., bytes]) -> None:
    decomposed = unicodedata.normalize("NFD", POLISH)
    assert decomposed != POLISH
    assert _captions(media_jpeg(iptc=[UTF8, (2, 120, decomposed.encode("utf-8"))])).caption == POLISH


# ======================================================================================
# Cleaning


def test_nul_controls_and_bidi_overrides_are_removed(media_jpeg: Callable[..., bytes]) -> None:
    spoof = "Invoice\u202egpj.exe\u202c and \u2066isolated\u2069\x00\x07 text\u200b"
    captions = _captions(media_jpeg(iptc=[UTF8, (2, 120, spoof.encode("utf-8")), (2, 5, "A\u202eB".encode("utf-8"))]))
    assert captions.caption == "Invoicegpj.exe and isolated text"
    assert captions.title == "AB"
    for text in (captions.caption, captions.title):
        assert text is not None
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def test_caption_keeps_line_breaks_other_fields_do_not() -> None:
    raw = RawMetadata(
        kind="jpeg",
        xmp={"dc:description": ("First line\r\nSecond\tline\n\n\n\nThird  ",), "dc:title": ("A\ntitle\twith  gaps",)},
    )
    captions = extract_captions(raw, None)
    assert captions.caption == "First line\nSecond\tline\n\nThird"
    assert captions.title == "A title with gaps"


def test_lengths_are_capped() -> None:
    raw = RawMetadata(
        kind="jpeg", xmp={"dc:description": ("x" * 20_000,), "dc:title": ("y" * 5_000,), "dc:subject": ("z" * 3_000,)}
    )
    captions = extract_captions(raw, None)
    assert captions.caption is not None and len(captions.caption) == CAPTION_MAX == 10_000
    assert captions.title is not None and len(captions.title) == FIELD_MAX == 1_000
    assert len(captions.keywords[0]) == FIELD_MAX


def test_markup_is_kept_as_plain_text_not_escaped() -> None:
    raw = RawMetadata(kind="jpeg", xmp={"dc:description": ('<script>alert("x")</script> & <b>bold</b>',)})
    assert extract_captions(raw, None).caption == '<script>alert("x")</script> & <b>bold</b>'


def test_keywords_are_cleaned_deduplicated_and_keep_short_words() -> None:
    raw = RawMetadata(
        kind="jpeg",
        xmp={"dc:subject": (" Brussels ", "brussels", "2024", "", "   ", "none", "EU\u202e", "Canon")},
        exif={"Image Make": "Canon"},
    )
    assert extract_captions(raw, None).keywords == ["Brussels", "2024", "EU"]


# ======================================================================================
# Boilerplate


@pytest.mark.parametrize(
    ("text", "make", "model"),
    [
        ("Canon EOS 40D", "Canon", "Canon EOS 40D"),
        ("NIKON D850", "NIKON CORPORATION", "NIKON D850"),
        ("NIKON CORPORATION NIKON D850", "NIKON CORPORATION", "NIKON D850"),
        ("OLYMPUS", "OLYMPUS IMAGING CORP.", "E-P3"),
        ("<Digimax i50 MP3, Samsung #1 MP3>", "Samsung Techwin", "<Digimax i50 MP3, Samsung #1 MP3>"),
        ("WWL", "WWL     ", "ION230"),
        ("Gran Turismo 5", "Polyphony Digital Inc.", "Gran Turismo 5"),
        ("FUJIFILM DIGITAL CAMERA", "FUJIFILM", "X-T4"),
    ],
)
def test_make_and_model_repeats_are_boilerplate(text: str, make: str, model: str) -> None:
    assert is_boilerplate(text, make=make, model=model)
    raw = RawMetadata(kind="jpeg", exif={"Image ImageDescription": text, "Image Make": make, "Image Model": model})
    assert extract_captions(raw, None).caption is None


def test_boilerplate_falls_through_to_the_next_source(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(
        ifd0={IMAGE_DESCRIPTION: "Real caption from EXIF", MAKE: "OLYMPUS IMAGING CORP.", MODEL: "E-M1"},
        iptc=[UTF8, (2, 120, b"OLYMPUS DIGITAL CAMERA")],
    )
    assert _captions(data).caption == "Real caption from EXIF"


@pytest.mark.parametrize(
    "name",
    [
        "exif-samples/jpg/exif-org/olympus-c960.jpg",
        "exif-samples/jpg/corrupted.jpg",
        "exif-samples/jpg/tests/42_IndexError.jpg",
        "exif-samples/jpg/exif-org/sanyo-vpcg250.jpg",
        "exif-samples/jpg/Samsung_Digimax_i50_MP3.jpg",
        "exif-samples/jpg/WWL_(Polaroid)_ION230.jpg",
        "exif-samples/jpg/exif-org/sony-cybershot.jpg",
        "exif-samples/jpg/gps/DSCN0010.jpg",
        "exif-samples/jpg/hdr/canon_hdr_NO.jpg",
        "pillow-images/ignore_frame_size.mpo",
        "pillow-images/tiff_wrong_bits_per_sample_2.tiff",
        "pillow-images/child_ifd.tiff",
    ],
)
def test_corpus_camera_boilerplate_gives_no_caption(media_corpus: Path, name: str) -> None:
    path = media_corpus / name
    kind = "tiff" if path.suffix.startswith(".tif") else "jpeg"
    raw = read_metadata(path, kind=kind)
    assert raw.exif.get("Image ImageDescription") is not None or raw.exif.get("EXIF UserComment") is not None
    iptc: dict[Any, Any] | None = None
    if kind == "jpeg":
        with Image.open(path) as image:
            iptc = read_iptc(image)
    captions = extract_captions(raw, iptc)
    assert captions.caption is None
    assert captions.title is None


def test_corpus_real_captions(media_corpus: Path) -> None:
    blue = media_corpus / "exif-samples" / "jpg" / "xmp" / "BlueSquare.jpg"
    with Image.open(blue) as image:
        iptc = read_iptc(image)
    captions = extract_captions(read_metadata(blue, kind="jpeg"), iptc)
    assert captions.title == "Blue Square Test File - .jpg"
    assert captions.keywords == ["XMP", "Blue Square", "test file", "Photoshop", ".jpg"]
    assert captions.caption is not None and captions.caption.startswith("XMPFiles BlueSquare test file")

    nokia = media_corpus / "pillow-images" / "iptc.jpg"
    with Image.open(nokia) as image:
        iptc = read_iptc(image)
    assert iptc is not None
    captions = extract_captions(read_metadata(nokia, kind="jpeg"), iptc)
    assert captions.keywords == ["HvK", "2006", "summer", "July", "holiday", "Hungary", "Budapest"]

    long_description = media_corpus / "exif-samples" / "jpg" / "long_description.jpg"
    captions = extract_captions(read_metadata(long_description, kind="jpeg"), None)
    assert captions.caption is not None and captions.caption.endswith(
        "(U.S. Army photo by Staff Sgt. Kyle Davis) (Released)"
    )
    assert captions.credit == "SSG KYLE DAVIS"

    samsung = media_corpus / "exif-samples" / "jpg" / "Samsung_Digimax_i50_MP3.jpg"
    assert extract_captions(read_metadata(samsung, kind="jpeg"), None).copyright is None  # "COPYRIGHT, 2005"
    bowen = media_corpus / "exif-samples" / "jpg" / "exif-org" / "fujifilm-dx10.jpg"
    assert extract_captions(read_metadata(bowen, kind="jpeg"), None).copyright == "J P Bowen"


# ======================================================================================
# read_iptc


def test_read_iptc_on_images_without_or_with_broken_iptc(media_jpeg: Callable[..., bytes]) -> None:
    with Image.open(io.BytesIO(media_jpeg())) as image:
        assert read_iptc(image) is None
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    with Image.open(png) as image:
        assert read_iptc(image) is None
    broken = media_jpeg(iptc=[(2, 120, b"ok")])
    broken = broken.replace(b"\x1c\x02\x78", b"\x1c\x63\x78")  # record 99 does not exist
    with Image.open(io.BytesIO(broken)) as image:
        assert read_iptc(image) is None


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_read_iptc_never_raises_on_corpus_files(media_corpus: Path, media_image_filter: Callable[[Path], bool]) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    opened = 0
    for path in sorted(p for p in media_corpus.rglob("*") if p.is_file() and media_image_filter(p)):
        try:
            image = Image.open(path)
        except Exception:  # noqa: BLE001 - files Pillow cannot open are the decoder's business
            continue
        opened += 1
        with image:
            iptc = read_iptc(image)
        assert iptc is None or isinstance(iptc, dict)
        assert isinstance(extract_captions(RawMetadata(kind="jpeg"), iptc), Captions)
    assert opened > 100
