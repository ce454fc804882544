from __future__ import annotations

import pytest
from flask import Flask

from gallery.extensions import db
from gallery.search import ranking
from gallery.search.fold import folded_text
from gallery.search.models import SearchDocument
from gallery.search.query import parse

TEXTS = [
    "konferencja prasowa",
    "konferencja konferencji",  # two words with the prefix
    "konferencja konferencja panel",  # one word twice
    "panel panel panel dyskusyjny",
    "konkurs i konferencja",  # neighbours konferencja, konkurs share only "kon"
    "kot",
    "kon",
    "żółw na konferencji",
    "zolw zolwie zolwik",
    "panele paneli",
    "abc",
    "",
    "konf konf konf konf",
    "gdansk networking dinner",
]


def order(session, query, events=None):  # type: ignore[no-untyped-def]
    """Every match in the relevance order, n at a time through ranking.candidates."""
    seen: list[tuple[int, float]] = []
    after = None
    while True:
        batch = ranking.candidates(session, db.engine.dialect.name, query, events, after, 3)
        seen += batch
        if len(batch) < 3:
            return seen
        after = (batch[-1][1], batch[-1][0])


@pytest.mark.parametrize(
    "typed", ["k", "ko", "kon", "konf", "konferencj", "konferencja", "pan", "panel", "zolw", "d", "x"]
)
def test_candidates_follow_the_order_of_ranking_every_match(
    app: Flask, typed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tiers for one prefix word on PostgreSQL (documents holding it twice or more, ranked;
    then those holding it once, by id): the same order, ranks and pages as ranking every match."""
    db.session.add_all(
        SearchDocument(kind="photo", object_id=i + 1, event_id=1 + i % 2, text=folded_text(t))
        for i, t in enumerate(TEXTS * 3)
    )
    db.session.add(SearchDocument(kind="album", object_id=1, event_id=1, text="konferencja konferencja"))
    db.session.commit()
    query = parse(typed)
    dialect = db.engine.dialect.name
    assert ranking.tiered(dialect, query) == (dialect == "postgresql")
    every_match = ranking._every_match
    everything = every_match(db.session, dialect, query, None, None, 1000)
    in_event = every_match(db.session, dialect, query, [2], None, 1000)
    fallbacks: list[object] = []
    monkeypatch.setattr(ranking, "_every_match", lambda *args: fallbacks.append(args) or every_match(*args))
    assert order(db.session, query) == everything
    assert (fallbacks == []) == (dialect == "postgresql")  # the tiers answered on PostgreSQL
    assert order(db.session, query, [2]) == in_event  # within an event: every match ranked
    assert not ranking.tiered(dialect, query, [2])
    fallbacks.clear()
    # a position inside either tier
    for k in range(len(everything) - 1):
        rank, object_id = everything[k][1], everything[k][0]
        got = ranking.candidates(db.session, dialect, query, None, (rank, object_id), 4)
        assert got == everything[k + 1 : k + 5]
    # positions inside either tier: the safety net never ran on PostgreSQL
    assert fallbacks == [] or dialect != "postgresql"


def test_several_words_and_phrases_rank_every_match(app: Flask) -> None:
    for typed in ("konf panel", '"panel dyskusyjny"', '"panel"'):
        assert not ranking.tiered("postgresql", parse(typed))
    assert ranking.tiered("postgresql", parse("konf")) and not ranking.tiered("sqlite", parse("konf"))


def test_the_minimum_rank_is_that_of_a_word_held_once(app: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        return
    db.session.add(SearchDocument(kind="photo", object_id=1, text="konferencja prasowa"))
    db.session.commit()
    (only,) = ranking._every_match(db.session, "postgresql", parse("konf"), None, None, 10)
    assert only == (1, ranking.minimum_rank(db.session))
