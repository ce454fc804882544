"""The raw metadata record, and the small readers of its values that every interpretation uses."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final, TypeAlias

__all__ = [
    "ExifScalar",
    "ExifValue",
    "RawMetadata",
    "as_float",
    "as_int",
    "as_text",
    "clean_short",
    "decode_text_bytes",
    "first_exif",
    "xmp_first",
]

ExifScalar: TypeAlias = str | int | float | Fraction | bytes
ExifValue: TypeAlias = ExifScalar | tuple[ExifScalar, ...]


@dataclass(frozen=True)
class RawMetadata:
    """Everything :func:`gallery.media.metadata.reading.read_metadata` found, as plain values.

    ``exif`` is keyed like exifread ("Image Make", "EXIF DateTimeOriginal",
    "GPS GPSLatitude", "MakerNote SerialNumber"); values are ``str`` (ASCII),
    ``int``, ``float``, ``Fraction`` (rationals), ``bytes`` (BYTE/UNDEFINED arrays) or tuples
    of those for multi-valued tags.  ``xmp`` is keyed "prefix:Name" with the standard
    prefixes (dc, xmp, exif, exifEX, tiff, photoshop, xmpRights, Iptc4xmpCore, aux, ...)
    whatever prefix the file used; values are tuples of strings (for a language
    alternative, the x-default entry comes first).  ``exif_ok`` is False when an EXIF
    block was present but could not be read (then ``exif_error`` says why, starting
    "EXIF unreadable: "); a file without EXIF has ``exif_ok`` True and an empty ``exif``.
    """

    kind: str
    exif: Mapping[str, ExifValue] = field(default_factory=dict)
    xmp: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exif_ok: bool = True
    exif_error: str | None = None
    xmp_ok: bool = True
    xmp_error: str | None = None
    warnings: tuple[str, ...] = ()


def decode_text_bytes(data: bytes) -> str:
    """Text of a NUL-terminated byte string: UTF-8 when valid, else cp1252, else latin-1."""
    data = data.split(b"\x00", 1)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def first_exif(raw: RawMetadata, *keys: str) -> ExifValue | None:
    """The first of the EXIF ``keys`` with a non-empty value."""
    for key in keys:
        value = raw.exif.get(key)
        if value is not None and value != "" and value != ():
            return value
    return None


def as_text(value: ExifValue | None) -> str | None:
    """An EXIF value as text (bytes decoded; a tuple of numbers is not text)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return decode_text_bytes(value)
    if isinstance(value, tuple):
        if all(isinstance(v, int) for v in value):
            return None
        return " ".join(str(v) for v in value)
    return str(value)


def xmp_first(raw: RawMetadata, key: str) -> str | None:
    """The first value of an XMP property."""
    values = raw.xmp.get(key)
    if not values:
        return None
    return values[0]


_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_short(value: str | None, cap: int = 255) -> str | None:
    """A short one-line string: controls and bidi marks blanked, NFC, spaces collapsed, capped."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", value))
    text = " ".join(text.split())
    return text[:cap] or None


def as_float(value: ExifValue | None) -> float | None:
    """A finite number from a number, a rational or a numeric string (first of a tuple)."""
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, (int, float, Fraction)) and not isinstance(value, bool):
        result = float(value)
        return result if math.isfinite(result) else None
    if isinstance(value, str):
        try:
            result = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            return None
        return result if math.isfinite(result) else None
    return None


def as_int(value: ExifValue | None) -> int | None:
    """An integer from a number or a digit string (first of a tuple)."""
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Fraction)) and math.isfinite(float(value)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
