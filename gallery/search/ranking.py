"""Matching documents and their rank, and the next candidates of a relevance order.

:func:`matches` is the one spelling of "the documents of a kind that match, with their rank" for
each database: FTS5 ``MATCH`` and ``-bm25()`` on SQLite, ``@@`` and ``ts_rank`` over
``search_vectors`` on PostgreSQL.

:func:`candidates` gives the next documents in the relevance order (rank descending, then id)
after a position, ``n`` at a time, for :func:`gallery.search.service._ranked_page`.  Ranking
every match is the cost of a broad word (``konf`` matches half the catalogue), so on PostgreSQL a
query of one prefix word is ranked in two tiers, exactly: ``ts_rank`` of one prefix term is a sum
over the document's occurrences of the words it starts (all our weights are equal), so a document
that holds the prefix once ranks at the minimum -- the same number for every such document
(:func:`minimum_rank`) -- and one that holds it twice or more ranks above it.  The documents above
the minimum are found through the ``repeats`` vector (see :mod:`gallery.search.models`) and
ranked; the others all tie at the minimum and follow in id order, read along the primary key, so
only as many as needed are read.  Any other query ranks every match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from gallery.search.models import (
    FTS_TABLE,
    KINDS,
    REPEATS_COLUMN,
    UNACCENT_FUNCTION,
    VECTOR_COLUMN,
    VECTOR_TABLE,
    SearchDocument,
)
from gallery.search.query import Query

_VECTORS = sa.table(
    VECTOR_TABLE, sa.column("kind", sa.String), sa.column("object_id", sa.Integer), sa.column("event_id", sa.Integer)
)


def _tsquery(query: Query) -> ColumnElement[Any]:
    return func.to_tsquery(sa.literal_column("'simple'::regconfig"), getattr(func, UNACCENT_FUNCTION)(query.tsquery()))


def matches(
    dialect: str, query: Query, kind: str, events: Sequence[int] | None = None, *, repeats: bool | None = None
) -> sa.Subquery:
    """``object_id`` and ``rank`` (larger is better) of the documents of ``kind`` that match,
    only those of ``events`` when given (a search filtered by event ranks that event's alone).
    PostgreSQL only: ``repeats`` True keeps the documents that hold a one-prefix-word query twice
    or more, False those that hold it once (see the module's note)."""
    docs: Any = _VECTORS if dialect == "postgresql" else SearchDocument.__table__
    assert kind in KINDS
    # A literal, not a parameter: PostgreSQL's planner picks the kind's partial index only when it
    # sees the value (a prepared statement's generic plan would not).
    of_kind = docs.c.kind == sa.literal_column(f"'{kind}'")
    if dialect == "postgresql":
        vector: ColumnElement[Any] = sa.literal_column(f"{VECTOR_TABLE}.{VECTOR_COLUMN}")
        tsquery = _tsquery(query)
        rank: ColumnElement[Any] = sa.cast(func.ts_rank(vector, tsquery), sa.Float)
        statement = select(docs.c.object_id, rank.label("rank")).select_from(docs).where(of_kind)
        repeated = sa.literal_column(f"{VECTOR_TABLE}.{REPEATS_COLUMN}").op("@@")(tsquery)
        if repeats is True:
            statement = statement.where(repeated)  # which implies the vector matches
        else:
            statement = statement.where(vector.op("@@")(tsquery))
            if repeats is False:
                statement = statement.where(sa.not_(repeated))
    else:
        assert repeats is None
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        fts_name: ColumnElement[Any] = sa.literal_column(FTS_TABLE)
        rank = sa.cast(-func.bm25(fts_name), sa.Float)
        statement = (
            select(docs.c.object_id, rank.label("rank"))
            .select_from(fts.join(docs, docs.c.id == fts.c.rowid))
            .where(of_kind, fts_name.op("MATCH")(query.fts5()))
        )
    if events is not None:
        statement = statement.where(docs.c.event_id.in_(events))
    return statement.subquery(f"{kind}_hits")


def tiered(dialect: str, query: Query, events: Sequence[int] | None = None) -> bool:
    """Whether the query's photo ranking goes in two tiers: one prefix word, on PostgreSQL, over
    the whole catalogue (an event's documents are few enough to rank them all, and reading the
    second tier along the primary key would walk the other events' documents)."""
    return dialect == "postgresql" and events is None and len(query.terms) == 1 and not query.terms[0].phrase


_MINIMUM: list[float] = []


def minimum_rank(session: Session) -> float:
    """``ts_rank`` of a document holding a prefix once: the same for every word (asked once per
    process: it is the server's arithmetic)."""
    if not _MINIMUM:
        _MINIMUM.append(
            float(session.scalar(sa.text("SELECT CAST(ts_rank('x:1'::tsvector, 'x:*'::tsquery) AS FLOAT)")))
        )
    return _MINIMUM[0]


def _after(hits: sa.Subquery, statement: Any, after: tuple[float, int] | None) -> Any:
    if after is None:
        return statement
    rank, object_id = after
    return statement.where(or_(hits.c.rank < rank, and_(hits.c.rank == rank, hits.c.object_id > object_id)))


def candidates(
    session: Session,
    dialect: str,
    query: Query,
    events: Sequence[int] | None,
    after: tuple[float, int] | None,
    n: int,
) -> list[tuple[int, float]]:
    """The next ``n`` photo documents ``(object_id, rank)`` after ``after`` (a ``(rank, id)``
    position, None: from the start) in the order rank descending, then id."""
    if not tiered(dialect, query, events):
        return _every_match(session, dialect, query, events, after, n)
    minimum = minimum_rank(session)
    found: list[tuple[int, float]] = []
    after_id = None
    if after is None or after[0] > minimum:
        above = matches(dialect, query, "photo", events, repeats=True)
        statement = select(above.c.object_id, above.c.rank).order_by(above.c.rank.desc(), above.c.object_id)
        found = [(row.object_id, row.rank) for row in session.execute(_after(above, statement, after).limit(n))]
        if len(found) == n:
            return found
    elif after[0] == minimum:
        after_id = after[1]
    else:
        return []  # nothing ranks below the minimum
    above_count = len(found)
    once = matches(dialect, query, "photo", events, repeats=False)
    statement = select(once.c.object_id, once.c.rank).order_by(once.c.object_id).limit(n - len(found))
    if after_id is not None:
        statement = statement.where(once.c.object_id > after_id)
    found += [(row.object_id, row.rank) for row in session.execute(statement)]
    if any(rank < minimum or (rank == minimum) != (i >= above_count) for i, (_id, rank) in enumerate(found)):
        # the tiers rest on how ts_rank adds occurrences up; should it ever count otherwise, rank
        # every match rather than give another order than the single query's
        return _every_match(session, dialect, query, events, after, n)
    return found


def _every_match(
    session: Session, dialect: str, query: Query, events: Sequence[int] | None, after: tuple[float, int] | None, n: int
) -> list[tuple[int, float]]:
    hits = matches(dialect, query, "photo", events)
    statement = select(hits.c.object_id, hits.c.rank).order_by(hits.c.rank.desc(), hits.c.object_id).limit(n)
    return [(row.object_id, row.rank) for row in session.execute(_after(hits, statement, after))]
