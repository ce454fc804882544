"""Keeping the search index current: the text of each document, and the listener that rewrites
the documents of whatever a flush changed.

A **photo**'s document holds its caption, alt text, credit, title, keywords and camera, and the
titles of its album and event, so that one search can match words from all of them at once; an
**album**'s its title and description and its event's title and description (descriptions are
long and shared by every photo of an album or event: in each photo's document they would make
every photo match them and slow every search down); a **report**'s its
title and text; a **session**'s its title, speakers, room and description.  Every text is folded
by :func:`gallery.search.fold.folded_text`.

The service keeps the index, not triggers: after every ORM flush (whatever the surface: API,
pages, CLI, imports, bags), :func:`_after_flush` rebuilds the documents of the photos, albums,
reports and sessions that were added or changed -- and of every photo of an album or event whose
title or description changed -- in the same transaction, and deletes those of deleted rows.
:func:`rebuild` rebuilds them all (the migration runs it for existing rows; ``bench/search.py``
after seeding)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from gallery.models import Album, Event, Photo, Report
from gallery.schedule.models import EventSession
from gallery.search import models as search
from gallery.search.fold import folded_text
from gallery.search.models import SearchDocument

BATCH = 1000

PHOTO_FIELDS = ("caption", "alt_text", "credit", "title", "keywords", "camera_make", "camera_model", "album_id")
ALBUM_FIELDS = ("title", "description", "event_id")
EVENT_FIELDS = ("title", "description")
REPORT_FIELDS = ("title", "body", "event_id")
SESSION_FIELDS = ("title", "speakers", "room", "description", "event_id")


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


_documents = _table(SearchDocument)
_photos = _table(Photo)
_albums = _table(Album)
_events = _table(Event)
_reports = _table(Report)
_sessions = _table(EventSession)


def _listing(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value or "")


# --- the text of each kind ----------------------------------------------------------------------------


def photo_text(photo: Any, album: Any, event: Any) -> str:
    return folded_text(
        photo.caption,
        photo.alt_text,
        photo.credit,
        photo.title,
        _listing(photo.keywords),
        photo.camera_make or "",
        photo.camera_model or "",
        album.title,
        event.title,
    )


def album_text(album: Any, event: Any) -> str:
    return folded_text(album.title, album.description, event.title, event.description)


def report_text(report: Any) -> str:
    return folded_text(report.title, report.body)


def session_text(session: Any) -> str:
    return folded_text(session.title, _listing(session.speakers), session.room, session.description)


# --- writing documents --------------------------------------------------------------------------------


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for one in ids:
        batch.append(one)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _replace(connection: sa.Connection, kind: str, texts: Sequence[tuple[int, int | None, str]]) -> None:
    """Write the documents ``(object id, event id, text)`` of ``kind``, replacing those there were."""
    if not texts:
        return
    connection.execute(
        _documents.delete().where(_documents.c.kind == kind, _documents.c.object_id.in_([i for i, _e, _t in texts]))
    )
    connection.execute(
        _documents.insert(), [{"kind": kind, "object_id": i, "event_id": e, "text": t} for i, e, t in texts]
    )


def _forget(connection: sa.Connection, kind: str, ids: Iterable[int]) -> None:
    for batch in _chunks(ids):
        connection.execute(_documents.delete().where(_documents.c.kind == kind, _documents.c.object_id.in_(batch)))


def _photo_rows(connection: sa.Connection, where: Any) -> Iterator[Sequence[tuple[int, int | None, str]]]:
    query = (
        sa.select(
            _photos.c.id,
            *(_photos.c[name] for name in PHOTO_FIELDS if name != "album_id"),
            _albums.c.title.label("album_title"),
            _albums.c.event_id,
            _events.c.title.label("event_title"),
        )
        .join(_albums, _albums.c.id == _photos.c.album_id)
        .join(_events, _events.c.id == _albums.c.event_id)
        .where(where)
        .order_by(_photos.c.id)
    )
    result = connection.execute(query)
    while rows := result.fetchmany(BATCH):
        yield [
            (
                row.id,
                row.event_id,
                photo_text(
                    row,
                    _Titled(row.album_title, ""),
                    _Titled(row.event_title, ""),
                ),
            )
            for row in rows
        ]


@dataclass(frozen=True)
class _Titled:
    title: str
    description: str


def index_photos(connection: sa.Connection, where: Any) -> None:
    """Rewrite the documents of the photos ``where`` (a clause over the photos table) selects."""
    for texts in _photo_rows(connection, where):
        _replace(connection, "photo", texts)


def index_albums(connection: sa.Connection, where: Any) -> None:
    _replace(connection, "album", _album_texts(connection, where))


def _album_texts(connection: sa.Connection, where: Any) -> list[tuple[int, int | None, str]]:
    query = (
        sa.select(
            _albums.c.id,
            _albums.c.event_id,
            _albums.c.title,
            _albums.c.description,
            _events.c.title.label("event_title"),
            _events.c.description.label("event_description"),
        )
        .join(_events, _events.c.id == _albums.c.event_id)
        .where(where)
    )
    rows = connection.execute(query).all()
    return [(r.id, r.event_id, album_text(r, _Titled(r.event_title, r.event_description))) for r in rows]


def index_reports(connection: sa.Connection, where: Any) -> None:
    _replace(connection, "report", _report_texts(connection, where))


def _report_texts(connection: sa.Connection, where: Any) -> list[tuple[int, int | None, str]]:
    columns = [_reports.c.id, _reports.c.event_id, _reports.c.title, _reports.c.body]
    rows = connection.execute(sa.select(*columns).where(where)).all()
    return [(r.id, r.event_id, report_text(r)) for r in rows]


def index_sessions(connection: sa.Connection, where: Any) -> None:
    _replace(connection, "session", _session_texts(connection, where))


def _session_texts(connection: sa.Connection, where: Any) -> list[tuple[int, int | None, str]]:
    columns = [_sessions.c.id, *(_sessions.c[name] for name in SESSION_FIELDS)]
    rows = connection.execute(sa.select(*columns).where(where)).all()
    return [(r.id, r.event_id, session_text(r)) for r in rows]


def _every_text(connection: sa.Connection) -> Iterator[tuple[str, Sequence[tuple[int, int | None, str]]]]:
    """Every document to write, ``(kind, [(object id, event id, text), ...])``, a batch at a time."""
    yield "album", _album_texts(connection, sa.true())
    yield "report", _report_texts(connection, sa.true())
    yield "session", _session_texts(connection, sa.true())
    for texts in _photo_rows(connection, sa.true()):
        yield "photo", texts


def rebuild(connection: sa.Connection) -> None:
    """Rebuild every document from scratch (after the migration, after bulk loads), in the caller's
    transaction.  On PostgreSQL in bulk (:func:`_rebuild_postgresql`)."""
    if connection.dialect.name == "postgresql":
        _rebuild_postgresql(connection)
        return
    connection.execute(_documents.delete())
    for kind, texts in _every_text(connection):
        _replace(connection, kind, texts)


def _rebuild_postgresql(connection: sa.Connection) -> None:
    """The documents written with COPY while the sync triggers are off, then every vector in one
    ``INSERT ... SELECT`` with the triggers' own expression (:data:`search.POSTGRESQL_FILL`): the
    same rows as the triggers would make, without a trigger and a plan per batch.  Into an empty
    index (a new database, ``bench/seed.py``) the GIN indexes are dropped for the load and made again
    after it, at once; an index that holds vectors keeps its indexes (dropping one would make every
    search wait for the rebuild's commit)."""
    empty = not connection.scalar(sa.text(f"SELECT EXISTS (SELECT FROM {search.VECTOR_TABLE})"))
    for statement in search.POSTGRESQL_SYNC_OFF:
        connection.exec_driver_sql(statement)
    connection.execute(_documents.delete())
    connection.exec_driver_sql(f"DELETE FROM {search.VECTOR_TABLE}")
    if empty:
        for name in search.GIN_INDEXES:
            connection.exec_driver_sql(f"DROP INDEX {name}")
    with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        for kind, texts in _every_text(connection):  # a COPY a batch: reading the next one is a query
            with cursor.copy("COPY search_documents (kind, object_id, event_id, text) FROM STDIN") as copy:
                for object_id, event_id, text in texts:
                    copy.write_row((kind, object_id, event_id, text))
    connection.exec_driver_sql(search.POSTGRESQL_FILL)
    if empty:
        for statement in search.POSTGRESQL_GIN_INDEXES:
            connection.exec_driver_sql(statement)
    for statement in search.POSTGRESQL_SYNC_ON:
        connection.exec_driver_sql(statement)


# --- after each flush -----------------------------------------------------------------------------------


@dataclass
class _Changes:
    photos: set[int] = field(default_factory=set)
    albums: set[int] = field(default_factory=set)  # the album's document and its photos'
    events: set[int] = field(default_factory=set)  # its albums' and photos' documents
    reports: set[int] = field(default_factory=set)
    sessions: set[int] = field(default_factory=set)
    gone: dict[str, set[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.photos or self.albums or self.events or self.reports or self.sessions or self.gone)


def _changed(obj: Any, names: Sequence[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _kinds() -> list[tuple[type[Any], str, Sequence[str]]]:
    return [
        (Photo, "photo", PHOTO_FIELDS),
        (Album, "album", ALBUM_FIELDS),
        (Event, "event", EVENT_FIELDS),
        (Report, "report", REPORT_FIELDS),
        (EventSession, "session", SESSION_FIELDS),
    ]


def changes(session: Session) -> _Changes:
    """What a flush about to happen changes in the index (read before the flush: afterwards the
    attribute histories are gone)."""
    found = _Changes()
    buckets = {
        "photo": found.photos,
        "album": found.albums,
        "event": found.events,
        "report": found.reports,
        "session": found.sessions,
    }
    kinds = _kinds()
    for obj in session.new:
        for cls, kind, _names in kinds:
            if isinstance(obj, cls):
                buckets[kind].add(id(obj))
    for obj in session.dirty:
        for cls, kind, names in kinds:
            if isinstance(obj, cls) and _changed(obj, names):
                buckets[kind].add(id(obj))
    for obj in session.deleted:
        for cls, kind, _names in kinds:
            if isinstance(obj, cls) and kind != "event":
                found.gone.setdefault(kind, set()).add(obj.id)
    return found


_PENDING = "gallery.search.pending"


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    found = changes(session)
    if found:
        # objects by identity until the flush has given the new ones their ids
        objects = {id(obj): obj for obj in (*session.new, *session.dirty)}
        session.info.setdefault(_PENDING, []).append((found, objects))


def _after_flush(session: Session, flush_context: Any) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    connection = session.connection()
    for found, objects in pending:
        ids = {key: {objects[k].id for k in keys} for key, keys in _object_sets(found).items()}
        for kind, gone in found.gone.items():
            _forget(connection, kind, gone)
        write(connection, **ids)


def _object_sets(found: _Changes) -> dict[str, set[int]]:
    return {
        "photos": found.photos,
        "albums": found.albums,
        "events": found.events,
        "reports": found.reports,
        "sessions": found.sessions,
    }


def write(
    connection: sa.Connection,
    *,
    photos: Iterable[int] = (),
    albums: Iterable[int] = (),
    events: Iterable[int] = (),
    reports: Iterable[int] = (),
    sessions: Iterable[int] = (),
) -> None:
    """Rewrite the documents of these photos, albums, events (their albums and photos), reports
    and sessions."""
    albums, events = set(albums), set(events)
    for batch in _chunks(events):
        index_albums(connection, _albums.c.event_id.in_(batch))
        index_photos(connection, _photos.c.album_id.in_(sa.select(_albums.c.id).where(_albums.c.event_id.in_(batch))))
    for batch in _chunks(albums):
        index_albums(connection, _albums.c.id.in_(batch))
        index_photos(connection, _photos.c.album_id.in_(batch))
    for batch in _chunks(set(photos)):
        index_photos(connection, _photos.c.id.in_(batch))
    for batch in _chunks(set(reports)):
        index_reports(connection, _reports.c.id.in_(batch))
    for batch in _chunks(set(sessions)):
        index_sessions(connection, _sessions.c.id.in_(batch))


sa_event.listen(Session, "before_flush", _before_flush)
sa_event.listen(Session, "after_flush", _after_flush)
