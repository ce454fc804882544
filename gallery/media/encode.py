"""Encoding a derivative: progressive optimised JPEG (4:2:0) and WebP, carrying no metadata but the
photo credit and copyright (EXIF ``Artist`` and ``Copyright``, UTF-8).  Never GPS, never the
source's EXIF, no ICC profile (untagged means sRGB on the web).

Only Pillow is imported.
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

from gallery.media.pixels import flatten_on_white

__all__ = ["WEBP_METHOD", "credit_exif", "encode_jpeg", "encode_webp"]

#: libwebp's default effort; kept on purpose (lower is visibly worse per byte).
WEBP_METHOD: Final[int] = 4

_EXIF_ARTIST: Final[int] = 0x013B
_EXIF_COPYRIGHT: Final[int] = 0x8298


def encode_jpeg(img: Image.Image, quality: int, exif: bytes) -> bytes:
    img = flatten_on_white(img)
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    options: dict[str, object] = {"quality": quality, "optimize": True, "progressive": True}
    if img.mode == "RGB":
        options["subsampling"] = 2  # 4:2:0
    if exif:
        options["exif"] = exif
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def encode_webp(img: Image.Image, quality: int, exif: bytes) -> bytes:
    if img.mode == "L":
        img = img.convert("RGB")
    elif img.mode == "LA":
        img = img.convert("RGBA")
    options: dict[str, object] = {"quality": quality, "method": WEBP_METHOD}
    if exif:
        options["exif"] = exif
    buffer = io.BytesIO()
    img.save(buffer, "WEBP", **options)
    return buffer.getvalue()


def _clean_text(value: str | None) -> str:
    if not value:
        return ""
    return "".join(ch for ch in value if ch.isprintable()).strip()


def credit_exif(credit: str | None, copyright: str | None) -> bytes:
    exif = Image.Exif()
    if text := _clean_text(credit):
        exif[_EXIF_ARTIST] = text.encode("utf-8")
    if text := _clean_text(copyright):
        exif[_EXIF_COPYRIGHT] = text.encode("utf-8")
    return exif.tobytes() if len(exif) else b""
