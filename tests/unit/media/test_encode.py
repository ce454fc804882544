"""Encoding derivatives (gallery.media.encode): JPEG and WebP with only credit and copyright."""

from __future__ import annotations

import io

from PIL import Image

from gallery.media.encode import credit_exif, encode_jpeg, encode_webp

ARTIST, COPYRIGHT, GPS_IFD = 0x013B, 0x8298, 0x8825


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_credit_exif_holds_only_artist_and_copyright() -> None:
    data = credit_exif("Anna Kowalska\x07", "© 2024 ECC")
    exif = Image.Exif()
    exif.load(data)
    assert set(exif) == {ARTIST, COPYRIGHT}
    assert exif[ARTIST] == "Anna Kowalska"
    assert exif[COPYRIGHT].encode("latin-1").decode("utf-8") == "© 2024 ECC"  # UTF-8 bytes, read as Latin-1
    assert credit_exif(None, "") == b""


def test_jpeg_is_progressive_420_flattened_and_carries_the_credit() -> None:
    img = Image.new("RGBA", (32, 16), (0, 0, 0, 0))
    jpeg = _open(encode_jpeg(img, 82, credit_exif("Ann", None)))
    assert jpeg.format == "JPEG" and jpeg.mode == "RGB" and jpeg.info.get("progressive")
    assert jpeg.getpixel((0, 0)) == (255, 255, 255)
    exif = jpeg.getexif()
    assert exif.get(ARTIST) == "Ann" and GPS_IFD not in exif
    assert "icc_profile" not in jpeg.info


def test_greyscale_jpeg_stays_grey_and_webp_keeps_alpha() -> None:
    assert _open(encode_jpeg(Image.new("L", (8, 8), 50), 82, b"")).mode == "L"
    webp = _open(encode_webp(Image.new("LA", (8, 8), (50, 100)), 80, b""))
    assert webp.format == "WEBP" and webp.mode == "RGBA"
    assert "exif" not in webp.info
