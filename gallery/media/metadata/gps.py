"""Where a photo was taken: the GPS position from EXIF, else XMP (private data: never publish it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from gallery.media.metadata.record import (
    ExifValue,
    RawMetadata,
    as_float,
    as_int,
    as_text,
    xmp_first,
)

__all__ = ["GpsPosition", "gps"]


@dataclass(frozen=True)
class GpsPosition:
    """A position in decimal degrees (WGS 84) and metres above sea level.  Private data."""

    latitude: float
    longitude: float
    altitude: float | None = None


def _dms(value: ExifValue | None) -> float | None:
    if value is None:
        return None
    parts = value if isinstance(value, tuple) else (value,)
    numbers: list[float] = []
    for part in parts[:3]:
        number = as_float(part)
        if number is None:
            return None
        numbers.append(number)
    if not numbers:
        return None
    while len(numbers) < 3:
        numbers.append(0.0)
    degrees, minutes, seconds = numbers
    if degrees < 0 or minutes < 0 or seconds < 0 or minutes >= 60 or seconds >= 60:
        return None
    return degrees + minutes / 60 + seconds / 3600


_XMP_GPS_RE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?\s*([NSEWnsew])\s*$")


def _xmp_coordinate(text: str | None) -> float | None:
    """Parse XMP GPS coordinates such as "40,39.77966N" or "3,45,49.47W"."""
    if not text:
        return None
    match = _XMP_GPS_RE.match(text)
    if match is None:
        return None
    degrees, minutes = float(match.group(1)), float(match.group(2))
    seconds = float(match.group(3)) if match.group(3) else 0.0
    if minutes >= 60 or seconds >= 60:
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if match.group(4).upper() in "SW" else result


def gps(raw: RawMetadata) -> GpsPosition | None:
    """The GPS position, if the file has a usable one (private data: never publish it).

    Missing references count as N/E.  A void fix (GPSStatus "V") and exactly 0°/0° (what
    cameras write without a fix) count as no position.
    """
    latitude = _dms(raw.exif.get("GPS GPSLatitude"))
    longitude = _dms(raw.exif.get("GPS GPSLongitude"))
    status = (as_text(raw.exif.get("GPS GPSStatus")) or "").strip().upper()
    if latitude is not None and longitude is not None and status != "V":
        if (as_text(raw.exif.get("GPS GPSLatitudeRef")) or "N").strip().upper().startswith("S"):
            latitude = -latitude
        if (as_text(raw.exif.get("GPS GPSLongitudeRef")) or "E").strip().upper().startswith("W"):
            longitude = -longitude
        altitude = as_float(raw.exif.get("GPS GPSAltitude"))
        if altitude is not None and as_int(raw.exif.get("GPS GPSAltitudeRef")) == 1:
            altitude = -altitude
    else:
        latitude = _xmp_coordinate(xmp_first(raw, "exif:GPSLatitude"))
        longitude = _xmp_coordinate(xmp_first(raw, "exif:GPSLongitude"))
        altitude = as_float(xmp_first(raw, "exif:GPSAltitude"))
        if altitude is not None and (xmp_first(raw, "exif:GPSAltitudeRef") or "0").strip() == "1":
            altitude = -altitude
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:
        return None
    if altitude is not None and not -12_000 < altitude < 100_000:
        altitude = None
    return GpsPosition(latitude=latitude, longitude=longitude, altitude=altitude)
