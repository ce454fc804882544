"""File type detection from the bytes (gallery.media.sniff)."""

from __future__ import annotations

import gzip
import io
import random
import struct
import zipfile
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError

from gallery.media.images import ensure_heif_opener
from gallery.media.sniff import (
    ACCEPTED_KINDS,
    MEDIA_TYPES,
    PILLOW_FORMATS,
    SNIFF_BYTES,
    Detected,
    canonical_extension,
    detect,
    extensions,
    extensions_of,
)

# What each corpus file is, judged independently of the sniffer: by its extension
# (which is honest in this corpus) plus the few files without a telling one.
_BY_SUFFIX = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".mpo": "jpeg",
    ".png": "png",
    ".apng": "png",
    ".gif": "gif",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".webp": "webp",
    ".heic": "heic",
    ".heif": "heic",
    ".avif": "avif",
    ".avifs": "avif",
    ".bmp": "bmp",
    ".ico": "ico",
    ".txt": "text",
    ".tsv": "text",
    ".json": "text",
    ".rst": "text",
}
_BY_NAME = {
    "timeout-6646305047838720": "tiff",  # fuzzer TIFF without extension
    "pngtest_bad.png.bin": "unknown",  # PNG with its first byte removed
    "README": "text",
    "dump": "text",
    ".gitignore": "text",
}


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def test_corpus_file_is_detected_as_what_it_is(media_corpus_file: Path) -> None:
    expected = _BY_NAME.get(media_corpus_file.name) or _BY_SUFFIX[media_corpus_file.suffix.lower()]
    detected = detect(_head(media_corpus_file))
    assert detected.kind == expected
    assert detected.accepted == (expected in ACCEPTED_KINDS)
    assert detected.label and detected.mime


def test_damaged_png_is_png_once_its_first_byte_is_back(media_corpus: Path) -> None:
    data = (media_corpus / "pillow-images" / "pngtest_bad.png.bin").read_bytes()
    assert detect(data).kind == "unknown"
    assert detect(b"\x89" + data).kind == "png"


def test_accepted_corpus_images_open_with_the_restricted_pillow_formats(media_corpus: Path) -> None:
    ensure_heif_opener()
    camera_files = [p for p in (media_corpus / "exif-samples").rglob("*") if p.suffix.lower() in _BY_SUFFIX]
    camera_files = [p for p in camera_files if _BY_SUFFIX[p.suffix.lower()] != "text"]
    assert camera_files
    for path in camera_files:
        detected = detect(_head(path))
        assert detected.accepted, path
        with Image.open(path, formats=PILLOW_FORMATS[detected.kind]) as image:
            assert image.size[0] > 0


@pytest.mark.parametrize("name", ["chi.gif", "bmp/b/reallybig.bmp", "decompression_bomb.ico"])
def test_rejected_formats_cannot_be_opened_through_the_allowed_pillow_formats(media_corpus: Path, name: str) -> None:
    ensure_heif_opener()
    path = media_corpus / "pillow-images" / name
    assert not detect(_head(path)).accepted
    allowed = sorted({fmt for formats in PILLOW_FORMATS.values() for fmt in formats})
    with pytest.raises(UnidentifiedImageError):
        Image.open(path, formats=allowed)


def test_pillow_formats_cover_exactly_the_accepted_kinds_and_are_registered() -> None:
    ensure_heif_opener()
    Image.init()
    assert set(PILLOW_FORMATS) == set(ACCEPTED_KINDS)
    for formats in PILLOW_FORMATS.values():
        for name in formats:
            assert name in Image.OPEN, name
    assert SNIFF_BYTES == 4096


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("head", "kind", "accepted"),
    [
        (_ftyp(b"heic", b"mif1", b"heic"), "heic", True),
        (_ftyp(b"heix", b"mif1"), "heic", True),
        (_ftyp(b"hevc", b"msf1"), "heic", True),
        (_ftyp(b"hevx"), "heic", True),
        (_ftyp(b"heim", b"mif1"), "heic", True),
        (_ftyp(b"heis", b"mif1"), "heic", True),
        (_ftyp(b"mif1", b"mif1", b"heic"), "heic", True),
        (_ftyp(b"mif1", b"mif1"), "heif", True),
        (_ftyp(b"msf1", b"msf1"), "heif", True),
        (_ftyp(b"mif1", b"mif1", b"avif", b"miaf"), "avif", True),
        (_ftyp(b"msf1", b"avis"), "avif", True),
        (_ftyp(b"avif", b"mif1", b"miaf"), "avif", True),
        (_ftyp(b"avis", b"msf1"), "avif", True),
        (_ftyp(b"isom", b"iso2", b"avc1", b"mp41"), "mp4", False),
        (_ftyp(b"qt  ", b"qt  "), "mov", False),
        (_ftyp(b"crx ", b"crx "), "cr3", False),
        (_ftyp(b"jp2 ", b"jp2 "), "jpeg2000", False),
        (_ftyp(b"zzzz"), "isobmff", False),
    ],
    ids=lambda value: value.hex()[8:32] if isinstance(value, bytes) else str(value),
)
def test_iso_media_brands(head: bytes, kind: str, accepted: bool) -> None:
    detected = detect(head)
    assert (detected.kind, detected.accepted) == (kind, accepted)


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (4, 4)).save(buffer, "GIF")
    return buffer.getvalue()


def _bmp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "BMP")
    return buffer.getvalue()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue()


def _webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "WEBP")
    return buffer.getvalue()


def _tiff(big: bool = False, endian: str = "<") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "TIFF", big_tiff=big)
    return buffer.getvalue()


def _dng_head() -> bytes:
    entries = [(0x0100, 3, 1, 4), (0xC612, 1, 4, 0x00000401)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *entry) for entry in entries)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("name", "head", "kind", "label_word"),
    [
        ("jpeg", _jpeg(), "jpeg", "JPEG"),
        ("png", _png(), "png", "PNG"),
        ("webp", _webp(), "webp", "WebP"),
        ("tiff", _tiff(), "tiff", "TIFF"),
        ("tiff-mm", b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 16, "tiff", "TIFF"),
        ("bigtiff", _tiff(big=True), "tiff", "BigTIFF"),
        ("bigtiff-mm", b"MM\x00+\x00\x08\x00\x00" + b"\x00" * 16, "tiff", "BigTIFF"),
        ("cr2", b"II*\x00\x10\x00\x00\x00CR\x02\x00" + b"\x00" * 20, "cr2", "CR2"),
        ("dng", _dng_head(), "dng", "DNG"),
        ("gif", _gif(), "gif", "GIF"),
        ("bmp", _bmp(), "bmp", "BMP"),
        ("ico", b"\x00\x00\x01\x00\x01\x00\x10\x10" + b"\x00" * 30, "ico", "ICO"),
        ("html", b"<!DOCTYPE html><html><body>hi</body></html>", "html", "HTML"),
        ("html-lower-ws", b"\n\n  <html lang='en'><script>alert(1)</script>", "html", "HTML"),
        ("html-bom", b"\xef\xbb\xbf<!doctype html><title>x</title>", "html", "HTML"),
        ("html-utf16", "<html><body>x</body></html>".encode("utf-16"), "html", "HTML"),
        ("html-script-only", b"<script>fetch('/api')</script>", "html", "HTML"),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10"/>', "svg", "SVG"),
        (
            "svg-xml-decl",
            b'<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
            "svg",
            "SVG",
        ),
        ("xml", b'<?xml version="1.0"?><root/>', "xml", "XML"),
        ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf", "PDF"),
        ("postscript", b"%!PS-Adobe-3.0\n", "postscript", "PostScript"),
        ("zip", _zip_bytes(), "zip", "ZIP"),
        ("gzip", gzip.compress(b"hello"), "gzip", "gzip"),
        ("psd", b"8BPS\x00\x01" + b"\x00" * 30, "psd", "Photoshop"),
        ("jp2", b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 ", "jpeg2000", "JPEG 2000"),
        ("j2k", b"\xff\x4f\xff\x51\x00\x2f", "jpeg2000", "JPEG 2000"),
        ("jxl", b"\xff\x0a\xfa\x7f", "jpegxl", "JPEG XL"),
        ("jxl-box", b"\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl ", "jpegxl", "JPEG XL"),
        ("text", b"Just some notes about the conference.\n", "text", "text"),
        ("json", b'{"photos": [1, 2, 3]}', "text", "text"),
        ("avi", b"RIFF\x00\x00\x00\x00AVI LIST", "avi", "AVI"),
        ("elf", b"\x7fELF\x02\x01\x01", "executable", "executable"),
        ("empty", b"", "empty", "empty"),
        ("noise", bytes(range(256)) * 4, "unknown", "unrecognised"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "",
)
def test_synthetic_heads(name: str, head: bytes, kind: str, label_word: str) -> None:
    detected = detect(head)
    assert detected.kind == kind, name
    assert label_word.lower() in detected.label.lower()
    assert detected.accepted == (kind in ACCEPTED_KINDS)


def test_polyglot_jpeg_with_html_is_a_jpeg() -> None:
    polyglot = _jpeg() + b"<html><script>alert(document.cookie)</script></html>"
    assert detect(polyglot).kind == "jpeg"
    # ...and HTML with a JPEG pasted after it is HTML.
    assert detect(b"<html><body>" + _jpeg()).kind == "html"


def test_html_with_image_extension_bytes_is_still_rejected() -> None:
    detected = detect(b"<html><img src=x onerror=alert(1)></html>")
    assert not detected.accepted
    assert detected.label == "HTML document"
    assert detected.mime == "text/html"


def test_only_the_first_sniff_bytes_count() -> None:
    head = b"a" * SNIFF_BYTES + b"<html>"
    assert detect(head).kind == "text"


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 8, 11, 12, 13])
def test_short_prefixes_of_every_format_never_crash(size: int) -> None:
    for sample in (_jpeg(), _png(), _webp(), _tiff(), _gif(), _ftyp(b"heic", b"mif1"), b"RIFF\x00\x00"):
        detected = detect(sample[:size])
        assert isinstance(detected, Detected)


def test_random_bytes_never_crash_and_are_never_accepted_by_accident() -> None:
    rng = random.Random(20240507)
    for _ in range(2000):
        head = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        detected = detect(head)
        assert isinstance(detected, Detected)
        if detected.accepted:  # only when the random bytes happen to start with a signature
            assert head[:2] in (b"\xff\xd8", b"II", b"MM") or head[:4] in (b"RIFF", b"\x89PNG") or b"ftyp" in head[:8]


def test_detected_is_frozen() -> None:
    detected = detect(_jpeg())
    with pytest.raises(AttributeError):
        detected.kind = "png"  # type: ignore[misc]
    assert detected == Detected(kind="jpeg", mime="image/jpeg", accepted=True, label="JPEG image", extension="jpg")


def test_accepted_kinds_have_image_mime_types() -> None:
    heads = {
        "jpeg": _jpeg(),
        "png": _png(),
        "webp": _webp(),
        "tiff": _tiff(),
        "heic": _ftyp(b"heic", b"mif1"),
        "heif": _ftyp(b"mif1", b"mif1"),
        "avif": _ftyp(b"avif", b"mif1"),
    }
    assert set(heads) == set(ACCEPTED_KINDS)
    for kind, head in heads.items():
        detected = detect(head)
        assert detected.kind == kind
        assert detected.mime.startswith("image/")
        assert detected.extension


# --------------------------------------------------------------------------------------
# The one extension table


def test_every_detected_kind_takes_its_extension_from_the_table() -> None:
    assert canonical_extension("image/jpeg") == "jpg" and canonical_extension("image/tiff") == "tif"
    assert canonical_extension("application/octet-stream") == ""
    for media_type in MEDIA_TYPES.values():
        assert media_type.extensions and len(set(media_type.extensions)) == len(media_type.extensions)
        assert all(ext == ext.lower() and "." not in ext for ext in media_type.extensions)


def test_accepted_kinds_are_the_photo_family() -> None:
    photo_mimes = {t.mime for t in MEDIA_TYPES.values() if t.family == "photo"}
    assert photo_mimes == {f"image/{kind}" for kind in PILLOW_FORMATS}
    assert set(PILLOW_FORMATS) == set(ACCEPTED_KINDS)


def test_extension_lookups() -> None:
    assert extensions("image/heic") == ("heic", "heif") and extensions("image/x-unknown") == ()
    photos = extensions_of("photo")
    assert {"jpg", "jpeg", "png", "webp", "tif", "heic", "avif"} <= photos and "nef" not in photos
    assert "nef" in extensions_of("raw") and "mov" in extensions_of("video") and "xmp" in extensions_of("sidecar")
