"""The raw record's value readers (gallery.media.metadata.record)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gallery.media.metadata.record import (
    ExifValue,
    RawMetadata,
    as_float,
    as_int,
    as_text,
    clean_short,
    decode_text_bytes,
    first_exif,
    xmp_first,
)


def test_decode_text_bytes_stops_at_nul_and_falls_back() -> None:
    assert decode_text_bytes("Zdjęcie".encode() + b"\x00junk") == "Zdjęcie"
    assert decode_text_bytes(b"caf\xe9") == "café"  # cp1252
    assert decode_text_bytes(b"\x81") == "\x81"  # undefined in cp1252: latin-1


def test_first_exif_skips_empty_values() -> None:
    raw = RawMetadata(kind="jpeg", exif={"A": "", "B": (), "C": "x", "D": "y"})
    assert first_exif(raw, "A", "B", "C", "D") == "x" and first_exif(raw, "Z") is None


def test_as_text() -> None:
    assert as_text(None) is None and as_text(b"abc\x00") == "abc" and as_text(5) == "5"
    assert as_text((1, 2)) is None and as_text(("a", 2)) == "a 2"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 4), 0.25),
        ("3/2", 1.5),
        ((2, 9), 2.0),
        ("x", None),
        ("1/0", None),
        (float("inf"), None),
        (True, None),
    ],
)
def test_as_float(value: ExifValue, expected: float | None) -> None:
    assert as_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(6, 6), ((200, 200), 200), (Fraction(7, 2), 3), (" 12 ", 12), ("1.5", None), (True, None)]
)
def test_as_int(value: ExifValue, expected: int | None) -> None:
    assert as_int(value) == expected


def test_xmp_first_and_clean_short() -> None:
    raw = RawMetadata(kind="jpeg", xmp={"tiff:Make": ("Canon", "other"), "empty": ()})
    assert xmp_first(raw, "tiff:Make") == "Canon" and xmp_first(raw, "empty") is None
    assert clean_short("  A\x00B\u202eC  ") == "A B C"
    assert clean_short("x" * 300) == "x" * 255 and clean_short(" \x00 ") is None
