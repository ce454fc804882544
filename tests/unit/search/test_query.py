from __future__ import annotations

import pytest

from gallery.core.errors import ValidationError
from gallery.search.query import MAX_QUERY_LENGTH, MAX_TERMS, Term, parse


def test_words_are_folded_prefix_terms() -> None:
    query = parse("Żółw KONF")
    assert query.terms == (Term(("zolw",)), Term(("konf",)))
    assert query.fts5() == '"zolw"* "konf"*'
    assert query.tsquery() == "zolw:* & konf:*"


def test_phrases_keep_their_words_together() -> None:
    query = parse('komisarz "podpisanie deklaracji" Łódź')
    assert query.terms == (Term(("komisarz",)), Term(("podpisanie", "deklaracji"), phrase=True), Term(("lodz",)))
    assert query.fts5() == '"komisarz"* "podpisanie deklaracji" "lodz"*'
    assert query.tsquery() == "komisarz:* & (podpisanie <-> deklaracji) & lodz:*"
    assert query.phrases == (("podpisanie", "deklaracji"),)


def test_a_quoted_word_matches_whole_and_an_open_quote_runs_to_the_end() -> None:
    assert parse('"konf"').terms == (Term(("konf",), phrase=True),)
    assert parse('panel "skills pan').terms == (Term(("panel",)), Term(("skills", "pan"), phrase=True))


def test_operators_of_either_language_are_only_punctuation() -> None:
    query = parse("a & b | !c:* <-> NEAR(d) OR -e AND f* ^g")
    assert all(t.words[0].isalnum() for t in query.terms)
    assert "|" not in query.tsquery() and "!" not in query.tsquery()
    assert parse("").empty and parse("  ,.;!  ").empty and parse(None).empty


def test_repeated_terms_count_once() -> None:
    assert parse("zolw Żółw ŻÓŁW").terms == (Term(("zolw",)),)


def test_limits() -> None:
    with pytest.raises(ValidationError) as too_long:
        parse("a" * (MAX_QUERY_LENGTH + 1))
    assert too_long.value.field == "q"
    with pytest.raises(ValidationError):
        parse(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    assert len(parse(" ".join(f"w{i}" for i in range(MAX_TERMS))).terms) == MAX_TERMS


def test_matches_word_for_highlighting() -> None:
    query = parse('konf "panel dyskusyjny"')
    assert query.matches_word("konferencji")
    assert not query.matches_word("panel")  # only as part of the phrase
