from __future__ import annotations

from markupsafe import Markup

from gallery.search.highlight import highlight, phrase_gap
from gallery.search.query import parse


def test_caption_is_escaped_and_matches_marked() -> None:
    marked = highlight("<script>alert('żółw')</script> Żółw", parse("zolw"))
    assert isinstance(marked, Markup)
    assert str(marked) == "&lt;script&gt;alert(&#39;<mark>żółw</mark>&#39;)&lt;/script&gt; <mark>Żółw</mark>"


def test_prefixes_mark_whole_words() -> None:
    assert str(highlight("Konferencja i konferencji.", parse("KONF"))) == (
        "<mark>Konferencja</mark> i <mark>konferencji</mark>."
    )


def test_phrase_is_one_mark_and_its_words_alone_are_not_marked() -> None:
    query = parse('"podpisanie deklaracji"')
    assert str(highlight("Podpisanie  deklaracji; podpisanie umowy", query)) == (
        "<mark>Podpisanie  deklaracji</mark>; podpisanie umowy"
    )


def test_no_match_is_just_escaped() -> None:
    assert str(highlight("a < b & c", parse("zzz"))) == "a &lt; b &amp; c"
    assert str(highlight("", parse("zzz"))) == ""


def test_phrase_gap() -> None:
    assert phrase_gap("a  b", 1, 3)
    assert not phrase_gap("a, b", 1, 3)
