from __future__ import annotations

import random

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


def test_folded_text_leaves_out_a_part_another_part_already_says() -> None:
    caption = "Wystąpienie Komisarza ds. rynku. Fot. Anna Nowak"
    # alt text repeating the caption, a credit the caption names: counted once
    assert folded_text(caption, "Wystąpienie Komisarza", "Anna Nowak") == (
        "wystapienie komisarza ds rynku fot anna nowak"
    )
    # the event title inside the album title; a camera make inside its model
    assert folded_text("Forum 2024, Łódź — Panel", "Forum 2024, Lodz") == "forum 2024 lodz panel"
    assert folded_text("Canon", "Canon EOS R5") == "canon eos r5"
    # two equal parts: one stays
    assert folded_text("Żółw", "ŻÓŁW!") == "zolw"


def test_folded_text_keeps_parts_that_only_share_words_or_letters() -> None:
    assert folded_text("Anna", "Annapurna") == "anna annapurna"  # whole words only
    assert folded_text("panel skills", "skills panel") == "panel skills skills panel"  # order matters
    assert folded_text("Nowak Anna", "Anna Nowak, Kraków") == "nowak anna anna nowak krakow"
    assert folded_text("NIKON CORPORATION", "NIKON Z 6_2") == "nikon corporation nikon z 6 2"


def test_folded_text_keeps_every_word_sequence_of_every_part() -> None:
    """Whatever is left out, each part's words, in order, are still in the text: no search that
    matched a word or a phrase of any part misses the document."""
    rng = random.Random(11)
    vocabulary = ["a", "b", "c", "ab", "żółw", "Łódź"]
    for _ in range(2000):
        parts = [" ".join(rng.choices(vocabulary, k=rng.randrange(0, 4))) for _ in range(rng.randrange(1, 6))]
        text = f" {folded_text(*parts)} "
        for part in parts:
            if words(part):
                assert f" {' '.join(words(part))} " in text, (parts, text)
        assert len(text.split()) <= sum(len(words(part)) for part in parts)


def test_fold_of_plain_ascii_is_its_lower_case() -> None:
    """The shortcut for text with nothing to fold gives what the full folding gives."""
    import unicodedata

    printable = "".join(chr(c) for c in range(32, 127))
    for text in (printable, printable.upper(), "Keynote by the Commissioner", "ABC-123_x"):
        full = unicodedata.normalize("NFC", unicodedata.normalize("NFKD", text.casefold()))
        assert fold(text) == full == text.lower()
