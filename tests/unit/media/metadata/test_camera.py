"""Camera and exposure facts (gallery.media.metadata.camera)."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from gallery.media.metadata.camera import CameraInfo, camera_info
from gallery.media.metadata.reading import read_metadata
from gallery.media.metadata.record import RawMetadata

MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


def _read(data: bytes, kind: str = "jpeg", **kwargs: Any) -> RawMetadata:
    return read_metadata(io.BytesIO(data), kind=kind, **kwargs)


# ======================================================================================
# Camera facts


def test_camera_info_from_a_synthetic_jpeg(media_jpeg: Callable[..., bytes]) -> None:
    from PIL.TiffImagePlugin import IFDRational

    data = media_jpeg(
        ifd0={MAKE: "Canon\x00\x00  ", MODEL: "  Canon EOS R5 ", ORIENTATION: 6},
        exif={
            0xA431: "012345678901",  # BodySerialNumber
            0xA434: "RF24-70mm F2.8 L IS USM",  # LensModel
            0xA433: "Canon",  # LensMake
            0x920A: IFDRational(70, 1),  # FocalLength
            0x829D: IFDRational(28, 10),  # FNumber
            0x829A: IFDRational(1, 250),  # ExposureTime
            0x8827: 400,  # ISO
        },
    )
    info = camera_info(_read(data))
    assert info == CameraInfo(
        make="Canon",
        model="Canon EOS R5",
        serial="012345678901",
        lens="RF24-70mm F2.8 L IS USM",
        lens_make="Canon",
        focal_length_mm=70.0,
        aperture=2.8,
        exposure_time="1/250",
        iso=400,
        orientation=6,
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(1, 250), "1/250"),
        (Fraction(10, 2500), "1/250"),
        (Fraction(2), "2"),
        (Fraction(13, 10), "1.3"),
        (Fraction(10, 30), "1/3"),
        (Fraction(1, 3) + Fraction(1, 1000), "1/3"),
        (Fraction(0), None),
    ],
)
def test_exposure_time_formatting(value: Fraction, text: str | None) -> None:
    assert camera_info(RawMetadata(kind="jpeg", exif={"EXIF ExposureTime": value})).exposure_time == text


def test_camera_strings_are_cleaned_and_capped() -> None:
    raw = RawMetadata(
        kind="jpeg",
        exif={"Image Make": "A\x00B\x07C" + "x" * 400, "Image Orientation": 9, "EXIF ISOSpeedRatings": (200, 200)},
    )
    info = camera_info(raw)
    assert info.make is not None and info.make.startswith("A B C") and len(info.make) == 255
    assert info.orientation is None and info.iso == 200


def test_aperture_from_apex_and_unusable_values() -> None:
    assert camera_info(RawMetadata(kind="jpeg", exif={"EXIF ApertureValue": Fraction(3)})).aperture == 2.8
    assert camera_info(RawMetadata(kind="jpeg", exif={"EXIF FNumber": Fraction(0)})).aperture is None
