"""Cleaning metadata text and telling camera boilerplate from a person's words."""

from __future__ import annotations

import pytest

from gallery.media.metadata.text import clean_text, folded, is_boilerplate

POLISH = "Zdjęcie z konferencji – Bruksela"


def test_right_to_left_text_itself_is_kept() -> None:
    hebrew = "כנס בבריסל"
    assert clean_text(hebrew) == hebrew
    assert clean_text("مؤتمر بروكسل") == "مؤتمر بروكسل"


def test_clean_text_removes_controls_bidi_overrides_and_zero_width_and_caps() -> None:
    assert clean_text("a\x00b\u202ec\u200bd\ufeff") == "abcd"
    assert clean_text("x" * 2_000, cap=10) == "x" * 10
    assert clean_text("line one\r\nline two", multiline=True) == "line one\nline two"
    assert clean_text("line one\r\nline two") == "line one line two"
    assert clean_text("   ") is None and clean_text(None) is None
    assert clean_text("e\u0301") == "\u00e9"  # NFC


def test_folded_compares_case_and_spacing_blind() -> None:
    assert folded("  OLYMPUS   Digital\tCAMERA ") == "olympus digital camera"


@pytest.mark.parametrize(
    "text",
    [
        "OLYMPUS DIGITAL CAMERA",
        "OLYMPUS DIGITAL CAMERA         ",
        "SONY DSC",
        "DCIM",
        "KODAK Digital Still Camera",
        "Default",
        "SAMSUNG",
        "LEICA",
        "DIGITAL CAMERA",
        "Camera",
        "",
        "         ",
        "SANYO DIGITAL CAMERA",
        "SAMSUNG CSC",
        "MINOLTA DIGITAL CAMERA",
        "Konica Minolta Digital Camera",
        "EXIF_JPEG_PICTURE",
        "IMG_1234",
        "DSC_0012",
        "DSCN0042.JPG",
        "PXL_20240507_093304123",
        "20240507_093304",
        "Created with GIMP",
        "untitled",
        "---",
        "...",
        "(c)",
        "COPYRIGHT, 2005",
        "©",
        '{"shape": [32, 32, 3]}',
    ],
)
def test_boilerplate(text: str) -> None:
    assert is_boilerplate(text)


@pytest.mark.parametrize(
    "text",
    [
        "Keynote by the Commissioner",
        POLISH,
        "Sony booth at the fair",
        "Camera crew backstage",
        "Photo: Anna Nowak",
        "Canon EOS R5 launch event",
        "2nd day, panel 3",
        "IMG processing workshop",
    ],
)
def test_not_boilerplate(text: str) -> None:
    assert not is_boilerplate(text, make="Canon", model="Canon EOS R5")
