from __future__ import annotations

import pytest

from gallery.search.fold import fold, folded_text, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("żółw", "zolw"),
        ("ŻÓŁW", "zolw"),
        ("Łódź", "lodz"),
        ("łódź", "lodz"),
        ("Gdańsk Ślęża Źródło", "gdansk sleza zrodlo"),
        ("Konferencja", "konferencja"),
        ("Straße", "strasse"),
        ("Ærøskøbing", "aeroskobing"),
        ("Đurđevac", "durdevac"),
        ("naïve café", "naive cafe"),
        ("ﬁnal", "final"),  # compatibility ligature
        ("", ""),
    ],
)
def test_fold_lowers_and_strips_diacritics_both_ways(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_is_idempotent() -> None:
    for text in ("Żółw Łódź", "Ærø", "Straße", "ĸ"):
        assert fold(fold(text)) == fold(text)


def test_words_split_on_punctuation_and_keep_digits() -> None:
    assert words("Kraków, 7–8 maja 2024: „Żółw”!") == ["krakow", "7", "8", "maja", "2024", "zolw"]
    assert words("snake_case and-dash") == ["snake", "case", "and", "dash"]
    assert words("<script>alert(1)</script>") == ["script", "alert", "1", "script"]


def test_folded_text_joins_parts_and_skips_empty_ones() -> None:
    assert folded_text("Żółw", "", "Łódź  Kaliska") == "zolw lodz kaliska"
