"""The GPS position (gallery.media.metadata.gps)."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from gallery.media.metadata.gps import GpsPosition, gps
from gallery.media.metadata.reading import read_metadata
from gallery.media.metadata.record import RawMetadata


def _read(data: bytes, kind: str = "jpeg", **kwargs: Any) -> RawMetadata:
    return read_metadata(io.BytesIO(data), kind=kind, **kwargs)


# ======================================================================================
# GPS


def test_gps_south_west_and_below_sea_level(media_jpeg: Callable[..., bytes]) -> None:
    from PIL.TiffImagePlugin import IFDRational

    data = media_jpeg(
        gps={
            1: "S",
            2: (IFDRational(33, 1), IFDRational(52, 1), IFDRational(1234, 100)),
            3: "W",
            4: (IFDRational(151, 1), IFDRational(12, 1), IFDRational(30, 1)),
            5: b"\x01",
            6: IFDRational(15, 1),
        }
    )
    position = gps(_read(data))
    assert position is not None
    assert position.latitude == pytest.approx(-(33 + 52 / 60 + 12.34 / 3600))
    assert position.longitude == pytest.approx(-(151 + 12 / 60 + 30 / 3600))
    assert position.altitude == pytest.approx(-15.0)


@pytest.mark.parametrize(
    "exif",
    [
        {
            "GPS GPSLatitude": (Fraction(0), Fraction(0), Fraction(0)),
            "GPS GPSLongitude": (Fraction(0), Fraction(0), Fraction(0)),
        },
        {
            "GPS GPSLatitude": (Fraction(91), Fraction(0), Fraction(0)),
            "GPS GPSLongitude": (Fraction(1), Fraction(0), Fraction(0)),
        },
        {
            "GPS GPSLatitude": (Fraction(50), Fraction(0), Fraction(0)),
            "GPS GPSLongitude": (Fraction(4), Fraction(0), Fraction(0)),
            "GPS GPSStatus": "V",
        },
        {"GPS GPSLatitude": (Fraction(50), Fraction(0), Fraction(0))},
        {},
    ],
)
def test_gps_without_a_usable_fix(exif: dict[str, Any]) -> None:
    assert gps(RawMetadata(kind="jpeg", exif=exif)) is None


def test_gps_from_xmp() -> None:
    raw = RawMetadata(
        kind="jpeg",
        xmp={"exif:GPSLatitude": ("50,50.5N",), "exif:GPSLongitude": ("4,21.5W",), "exif:GPSAltitude": ("120/2",)},
    )
    assert gps(raw) == GpsPosition(
        latitude=pytest.approx(50 + 50.5 / 60), longitude=pytest.approx(-(4 + 21.5 / 60)), altitude=60.0
    )  # type: ignore[arg-type]
