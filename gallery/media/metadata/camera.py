"""Camera and exposure facts: make, model, body serial, lens, focal length, aperture, exposure,
ISO and orientation, from EXIF (XMP as a fallback)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from gallery.media.metadata.record import (
    RawMetadata,
    as_float,
    as_int,
    as_text,
    clean_short,
    first_exif,
    xmp_first,
)

__all__ = ["CameraInfo", "camera_info"]


@dataclass(frozen=True)
class CameraInfo:
    """Camera and exposure facts (strings cleaned, at most 255 characters)."""

    make: str | None = None
    model: str | None = None
    serial: str | None = None
    lens: str | None = None
    lens_make: str | None = None
    focal_length_mm: float | None = None
    aperture: float | None = None
    exposure_time: str | None = None
    iso: int | None = None
    orientation: int | None = None


def _format_exposure(seconds: Fraction) -> str | None:
    if seconds <= 0:
        return None
    if seconds >= 1:
        return f"{float(seconds):g}"
    if seconds.numerator == 1:
        return f"1/{seconds.denominator}"
    inverse = 1 / seconds
    nearest = round(inverse)
    if nearest > 0 and abs(float(inverse) - nearest) <= 0.01 * nearest:
        return f"1/{nearest}"
    return f"{float(seconds):.3g}"


def _exposure(raw: RawMetadata) -> str | None:
    value = first_exif(raw, "EXIF ExposureTime")
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, (int, Fraction)):
        return _format_exposure(Fraction(value))
    if isinstance(value, float) and math.isfinite(value):
        return _format_exposure(Fraction(value).limit_denominator(100_000))
    xmp_value = xmp_first(raw, "exif:ExposureTime")
    if xmp_value:
        try:
            return _format_exposure(Fraction(xmp_value.strip()))
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _aperture(raw: RawMetadata) -> float | None:
    fnumber = as_float(first_exif(raw, "EXIF FNumber"))
    if fnumber is not None and 0.5 <= fnumber <= 256:
        return round(fnumber, 2)
    apex = as_float(first_exif(raw, "EXIF ApertureValue"))
    if apex is not None and -2 < apex < 32:
        return round(2 ** (apex / 2), 1)
    xmp_value = xmp_first(raw, "exif:FNumber")
    if xmp_value:
        fnumber = as_float(xmp_value)
        if fnumber is not None and 0.5 <= fnumber <= 256:
            return round(fnumber, 2)
    return None


_SERIAL_RE: Final = re.compile(r"^[A-Za-z0-9]{4,32}$")


def _serial(raw: RawMetadata) -> str | None:
    """Body serial number: the standard tags first, then the maker note.

    exifread's maker-note decoders sometimes return neighbouring fields for the serial
    (e.g. "00STANDA" for a Nikon D300), so a maker-note serial is only trusted when it
    is a plain alphanumeric token with at least four digits.
    """
    for key in ("EXIF BodySerialNumber", "Image BodySerialNumber", "Image SerialNumber", "EXIF SerialNumber"):
        value = clean_short(as_text(raw.exif.get(key)))
        if value:
            return value
    for key in ("exifEX:BodySerialNumber", "aux:SerialNumber"):
        value = clean_short(xmp_first(raw, key))
        if value:
            return value
    for key in ("MakerNote SerialNumber", "MakerNote InternalSerialNumber"):
        value = clean_short(as_text(raw.exif.get(key)))
        if value and _SERIAL_RE.match(value) and sum(c.isdigit() for c in value) >= 4:
            return value
    return None


def camera_info(raw: RawMetadata) -> CameraInfo:
    """Camera make/model/serial, lens and exposure facts, from EXIF (XMP as a fallback)."""

    def text(*keys: str, xmp: tuple[str, ...] = ()) -> str | None:
        for key in keys:
            value = clean_short(as_text(raw.exif.get(key)))
            if value:
                return value
        for key in xmp:
            value = clean_short(xmp_first(raw, key))
            if value:
                return value
        return None

    focal = as_float(first_exif(raw, "EXIF FocalLength"))
    if focal is None:
        focal = as_float(xmp_first(raw, "exif:FocalLength"))
    if focal is not None and not 0 < focal < 10_000:
        focal = None

    iso = as_int(first_exif(raw, "EXIF ISOSpeedRatings", "EXIF PhotographicSensitivity", "EXIF ISOSpeed"))
    if iso is None:
        iso = as_int(xmp_first(raw, "exif:ISOSpeedRatings"))
    if iso is not None and iso <= 0:
        iso = None

    orientation = as_int(first_exif(raw, "Image Orientation"))
    if orientation is None:
        orientation = as_int(xmp_first(raw, "tiff:Orientation"))
    if orientation is not None and not 1 <= orientation <= 8:
        orientation = None

    return CameraInfo(
        make=text("Image Make", xmp=("tiff:Make",)),
        model=text("Image Model", xmp=("tiff:Model",)),
        serial=_serial(raw),
        lens=text("EXIF LensModel", "MakerNote LensModel", xmp=("exifEX:LensModel", "aux:Lens")),
        lens_make=text("EXIF LensMake", xmp=("exifEX:LensMake",)),
        focal_length_mm=round(focal, 2) if focal is not None else None,
        aperture=_aperture(raw),
        exposure_time=_exposure(raw),
        iso=iso,
        orientation=orientation,
    )
