"""How many photos each album shows, per photographer's credit, kept by the database itself.

An album's page says how many photos it has and whose they are ("Photos: Anna Nowak, Jan Kowalski");
an event's page counts each album's photos.  Counting or grouping the photos for that on every
request costs as much as the album is big (20,000 rows for the largest album at a million photos,
``bench/scale.py``).  ``album_tallies`` holds, per album and per credit (trimmed; ``''`` for photos
without one), the number of photos visitors are shown there -- so an album's count is the sum of a
few rows and its credits are those rows, whatever the album's size.

**Kept by triggers**, not by the application: a photo becomes shown or stops being shown on many
paths (processing marks it ready, hiding, the bin, a move, a credit edit, erasing, an album's
deletion, bulk updates, imports, raw SQL), and a trigger sees every one of them in the same
transaction.  Which photos count is :func:`gallery.catalog.visibility.shown_photo_row_sql` -- the
one rule, read over a row's columns -- so the tally cannot drift from what the pages show.

* **PostgreSQL**: one statement-level trigger per operation with transition tables: a statement
  touching 10,000 photos (a bulk hide, a seed) makes one grouped upsert, and a statement that
  changes nothing a tally counts (a position, a verification time) writes nothing.
* **SQLite**: row triggers (insert; delete; update of the columns that matter).

The objects are created beside the table by ``create_all`` (DDL events below) and by migration
``0014``, which also fills the table.  :func:`rebuild` recomputes it (a repair, and the tests'
proof that the triggers agree with a fresh count).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gallery.catalog.visibility import shown_photo_row_sql
from gallery.models import Album, Model, Photo

# A tally's credit is the photo's, trimmed, cut at this many characters: a key of PostgreSQL's btree
# index holds at most about 2,700 bytes, and a credit of 1,000 characters of 3-byte UTF-8 would not
# fit.  Credits are names; nobody's is this long.
CREDIT_LENGTH = 400


class AlbumTally(Model):
    """The number of photos album ``album_id`` shows credited to ``credit`` (trimmed; ``''``: none)."""

    __tablename__ = "album_tallies"

    album_id: Mapped[int] = mapped_column(sa.ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True)
    credit: Mapped[str] = mapped_column(sa.String(CREDIT_LENGTH), primary_key=True)
    photos: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


# --- the triggers, per database -------------------------------------------------------------------

FUNCTION = "gallery_album_tally"
TRIGGERS = ("photos_tally_insert", "photos_tally_update", "photos_tally_delete")
_WATCHED = "album_id, credit, status, deleted_at, hidden_reason"  # the columns a tally depends on


def _delta(rows: str, sign: int) -> str:
    """SELECT of (album, credit, ±1) for the shown photos among ``rows`` (a transition table)."""
    return (
        f"SELECT r.album_id, substr(btrim(r.credit), 1, {CREDIT_LENGTH}) AS credit, {sign} AS d"
        f" FROM {rows} r WHERE {shown_photo_row_sql('r')}"
    )


def _postgresql_function(parts: Iterable[str]) -> str:
    changes = " UNION ALL ".join(parts)
    # Sorted, so that two transactions touching the same albums lock their rows in one order.
    return (
        f"INSERT INTO album_tallies (album_id, credit, photos)"
        f" SELECT album_id, credit, sum(d) FROM ({changes}) AS changes"
        f" GROUP BY album_id, credit HAVING sum(d) <> 0 ORDER BY album_id, credit"
        f" ON CONFLICT (album_id, credit) DO UPDATE SET photos = album_tallies.photos + EXCLUDED.photos"
    )


POSTGRESQL_CREATE = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    f" IF TG_OP = 'INSERT' THEN {_postgresql_function([_delta('new_rows', 1)])};"
    f" ELSIF TG_OP = 'DELETE' THEN"
    # A photo deleted with its album: the album's tallies may be gone already (cascade) -- only
    # existing rows are lowered, never a row inserted for an album that no longer exists.
    f" UPDATE album_tallies t SET photos = t.photos + c.n FROM"
    f" (SELECT album_id, credit, sum(d) AS n FROM ({_delta('old_rows', -1)}) AS x GROUP BY album_id, credit) c"
    f" WHERE t.album_id = c.album_id AND t.credit = c.credit;"
    f" ELSE {_postgresql_function([_delta('old_rows', -1), _delta('new_rows', 1)])};"
    f" END IF; RETURN NULL; END $$",
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON photos REFERENCING NEW TABLE AS new_rows"
    f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE ON photos REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON photos REFERENCING OLD TABLE AS old_rows"
    f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
)
POSTGRESQL_DROP = (
    *(f"DROP TRIGGER IF EXISTS {name} ON photos" for name in TRIGGERS),
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
)

_SQLITE_ADD = (
    "INSERT INTO album_tallies (album_id, credit, photos)"
    f" SELECT new.album_id, substr(trim(new.credit), 1, {CREDIT_LENGTH}), 1"
    f" WHERE {shown_photo_row_sql('new')} ON CONFLICT (album_id, credit) DO UPDATE SET photos = photos + 1;"
)
_SQLITE_REMOVE = (
    "UPDATE album_tallies SET photos = photos - 1"
    f" WHERE album_id = old.album_id AND credit = substr(trim(old.credit), 1, {CREDIT_LENGTH})"
    f" AND {shown_photo_row_sql('old')};"
)
SQLITE_CREATE = (
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON photos BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE OF {_WATCHED} ON photos BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON photos BEGIN {_SQLITE_REMOVE} END",
)
SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS)


def create_triggers(connection: sa.Connection) -> None:
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_triggers(connection: sa.Connection) -> None:
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}.get(connection.dialect.name, ())
    for statement in statements:
        connection.exec_driver_sql(statement)


def _after_create(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    create_triggers(connection)


def _before_drop(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    drop_triggers(connection)


sa.event.listen(AlbumTally.__table__, "after_create", _after_create)
sa.event.listen(AlbumTally.__table__, "before_drop", _before_drop)


def rebuild(connection: sa.Connection | Session) -> None:
    """Recount every album's tallies from its photos (the migration fills the table with this)."""
    credit = func.substr(func.trim(Photo.credit), 1, CREDIT_LENGTH)
    connection.execute(sa.delete(AlbumTally))
    connection.execute(
        sa.insert(AlbumTally).from_select(
            ["album_id", "credit", "photos"],
            select(Photo.album_id, credit, func.count())
            .where(sa.text(shown_photo_row_sql("photos")))
            .group_by(Photo.album_id, credit),
        )
    )


# --- reading them ---------------------------------------------------------------------------------


def shown_count(session: Session, album_id: int) -> int:
    """The number of photos album ``album_id`` shows visitors: a sum over its few tally rows."""
    total = session.scalar(select(func.sum(AlbumTally.photos)).where(AlbumTally.album_id == album_id))
    return int(total or 0)


def shown_count_of(album_id: Any) -> Any:
    """Correlated scalar subquery: the number of photos ``album_id`` (a column) shows."""
    return (
        select(func.coalesce(func.sum(AlbumTally.photos), 0)).where(AlbumTally.album_id == album_id).scalar_subquery()
    )


def credits(session: Session, album_id: int, *, limit: int = 12) -> list[str]:
    """The photographers' credits of the photos album ``album_id`` shows, the most frequent
    first (ties by name), at most ``limit``."""
    rows = session.scalars(
        select(AlbumTally.credit)
        .where(AlbumTally.album_id == album_id, AlbumTally.credit != "", AlbumTally.photos > 0)
        .order_by(AlbumTally.photos.desc(), AlbumTally.credit)
        .limit(limit)
    )
    return list(rows)


def credited_count(session: Session, credit: str, albums: Any) -> int:
    """About how many photos credited to ``credit`` the albums meeting ``albums`` (SQL over
    ``Album``) show: the sum of their tallies for it -- a few rows, whatever the catalogue's size.
    Tallies key credits trimmed, so credits differing only by spaces around them count together."""
    key = credit.strip()[:CREDIT_LENGTH]
    total = session.scalar(
        select(func.sum(AlbumTally.photos))
        .join(Album, Album.id == AlbumTally.album_id)
        .where(AlbumTally.credit == key, albums)
    )
    return int(total or 0)
