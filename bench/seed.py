"""Fill a PostgreSQL schema with a realistic catalogue: by default 1,000,000 photos in 2,000 albums of
100 events, the largest album 2 % of the photos, each photo with six derivative rows (three sizes,
JPEG and WebP) as `gallery import` leaves them.  No image bytes: the rows point at content-addressed
keys nobody fetches (the scale benchmark measures pages and the API, not media).

Not a test.  The schema is made by the project's own migrations (so the indexes are the real ones),
the rows are built from the models' tables (every column a model adds gets its default) and written
with PostgreSQL's COPY, then VACUUMed and ANALYZEd (as autovacuum leaves a live database).  Usage::

    python bench/seed.py [--database-url URL] [--schema NAME] [--photos N] [--albums N] [--events N]

The default database is the local PostgreSQL (``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
and the default schema ``gallery_seed`` (dropped and made again; never the test suite's schemas).
Target: a million photos in under 10 minutes on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from gallery.media.derivatives import original_key  # noqa: E402
from gallery.models import Album, Derivative, Event, Photo, User  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = (400, 1024, 2048)
FORMATS = ("jpg", "webp")

# --- realistic text ------------------------------------------------------------------------------

PLACES = [
    ("Bruksela", "Brussels", "Europe/Brussels"),
    ("Warszawa", "Warsaw", "Europe/Warsaw"),
    ("Kraków", "Kraków", "Europe/Warsaw"),
    ("Łódź", "Łódź", "Europe/Warsaw"),
    ("Gdańsk", "Gdańsk", "Europe/Warsaw"),
    ("Wiedeń", "Vienna", "Europe/Vienna"),
    ("Lizbona", "Lisbon", "Europe/Lisbon"),
    ("Helsinki", "Helsinki", "Europe/Helsinki"),
]
EVENT_KINDS = [
    "European Cluster Conference",
    "Forum Klastrów Polskich",
    "Innovation Week",
    "Kongres Przemysłu Przyszłości",
    "Smart Specialisation Summit",
    "Dni Współpracy Transgranicznej",
]
SUBJECTS_PL = [
    "Panel dyskusyjny o innowacjach w regionach",
    "Podpisanie deklaracji o współpracy klastrów",
    "Wystąpienie Komisarza ds. rynku wewnętrznego",
    "Warsztaty z cyfryzacji małych firm",
    "Sesja plakatowa młodych naukowców",
    "Przerwa kawowa i rozmowy kuluarowe",
    "Wręczenie nagród za najlepszy projekt",
    "Konferencja prasowa organizatorów",
    "Żółw morski na wystawie ekologicznej",
    "Delegaci podczas głosowania",
]
SUBJECTS_EN = [
    "Keynote by the Commissioner on cluster policy",
    "Panel on skills for the green transition",
    "Networking lunch in the main hall",
    "Workshop on digital tools for SMEs",
    "Signing of the joint declaration",
    "Award ceremony for the best cluster project",
    "Delegates at the opening plenary",
    "Q&A with the speakers",
    "Press briefing after the closing session",
    "Poster session of the research track",
]
NAMES = [
    "Anna Nowak",
    "Piotr Wiśniewski",
    "Katarzyna Wójcik",
    "Łukasz Kamiński",
    "Zofia Lewandowska",
    "Marie Dubois",
    "Jan Peeters",
    "Sofia Rossi",
    "Mateusz Zieliński",
    "Ewa Szymańska",
]
CAMERAS = [
    ("Canon", "Canon EOS R5"),
    ("Canon", "Canon EOS 5D Mark IV"),
    ("NIKON CORPORATION", "NIKON Z 6_2"),
    ("SONY", "ILCE-7M4"),
    ("FUJIFILM", "X-T4"),
    ("Apple", "iPhone 15 Pro"),
]
KEYWORDS = ["plenary", "panel", "networking", "award", "press", "workshop", "klaster", "innowacje", "delegaci"]


@dataclass(frozen=True)
class Seeded:
    photos: int
    albums: int
    events: int
    largest_album: str
    largest_photos: int
    seconds: float


def album_sizes(photos: int, albums: int, largest_share: float) -> list[int]:
    """Photos per album: the first album holds ``largest_share`` of them, the rest share the remainder."""
    largest = max(1, round(photos * largest_share)) if albums > 1 else photos
    rest = photos - largest
    base, extra = divmod(rest, albums - 1) if albums > 1 else (0, 0)
    return [largest] + [base + (1 if i < extra else 0) for i in range(albums - 1)]


def _defaults(table: sa.Table, given: set[str]) -> dict[str, Callable[[], Any]]:
    """For every column of ``table`` not in ``given`` and without a server default: how to fill it
    (the model's Python default, or NULL), so that columns added later need no change here."""
    filled: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        if column.name in given or column.server_default is not None or column.primary_key:
            continue
        default = column.default
        if default is None:
            filled[column.name] = lambda: None
        elif getattr(default, "is_scalar", False):
            value = default.arg  # type: ignore[attr-defined]
            filled[column.name] = lambda value=value: value
        else:
            fn = default.arg  # type: ignore[attr-defined]
            filled[column.name] = lambda fn=fn: fn(None)
    return filled


def _copy(conn: Any, table: sa.Table, rows: Iterator[dict[str, Any] | list[Any]], given: list[str]) -> int:
    """COPY ``rows`` (dicts with the ``given`` columns, or lists in their order) into ``table``, the
    other columns defaulted."""
    extra = _defaults(table, set(given))
    constants = {name: fill() for name, fill in extra.items() if _is_constant(table, name)}
    varying = {name: fill for name, fill in extra.items() if name not in constants}
    tail = [_pg(v) for v in constants.values()]
    columns = given + list(constants) + list(varying)
    count = 0
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                values = row if isinstance(row, list) else [row[c] for c in given]
                copy.write_row(values + tail + [_pg(fill()) for fill in varying.values()])
                count += 1
    return count


def _is_constant(table: sa.Table, name: str) -> bool:
    """A column filled with NULL or a scalar default (the same for every row), not a function."""
    default = table.c[name].default
    return default is None or bool(getattr(default, "is_scalar", False))


def _pg(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value  # enums
    if isinstance(value, str) and hasattr(value, "value"):
        return value.value  # StrEnum
    return value


def seed(
    engine: sa.Engine,
    *,
    photos: int,
    albums: int,
    events: int,
    largest_share: float = 0.02,
    rng_seed: int = 2024,
    search: bool = True,
    say: Callable[[str], None] = print,
) -> Seeded:
    """Write the catalogue into ``engine``'s (empty, migrated) database."""
    started = time.monotonic()
    rng = random.Random(rng_seed)
    sizes = album_sizes(photos, albums, largest_share)
    with engine.begin() as conn:
        conn.execute(sa.insert(User.__table__), [_user()])
        user_id = conn.scalar(sa.select(User.id))
        event_rows = list(_events(events, rng))
        conn.execute(sa.insert(Event.__table__), event_rows)
        event_ids = list(conn.scalars(sa.select(Event.id).order_by(Event.id)))
        album_rows = list(_albums(sizes, event_ids, event_rows, rng, user_id))
        conn.execute(sa.insert(Album.__table__), album_rows)
        album_ids = list(conn.scalars(sa.select(Album.id).order_by(Album.id)))
        say(f"  {events} events, {albums} albums ({time.monotonic() - started:.1f} s)")
        photo_given = [
            "id", "album_id", "sha256", "original_key", "original_filename", "content_type", "size", "width",
            "height", "taken_at", "taken_at_offset_minutes", "taken_at_source", "camera_make", "camera_model",
            "title", "caption", "alt_text", "credit", "keywords", "status", "processing_since", "created_at",
            "updated_at", "uploaded_by_id",
        ]  # fmt: skip
        starts = {event_ids[i]: row["starts_on"] for i, row in enumerate(event_rows)}
        event_of = {album_ids[i]: event_ids[i % len(event_ids)] for i in range(len(album_ids))}

        def photo_rows() -> Iterator[dict[str, Any]]:
            photo_id = 0
            for album_id, count in zip(album_ids, sizes, strict=True):
                day0 = datetime.combine(starts[event_of[album_id]], datetime.min.time(), tzinfo=UTC)
                for n in range(count):
                    photo_id += 1
                    yield _photo(photo_id, album_id, n, count, day0, rng, user_id)
                    if photo_id % 200_000 == 0:
                        say(f"  {photo_id:,} photos ({time.monotonic() - started:.0f} s)")

        written = _copy(conn, Photo.__table__, photo_rows(), photo_given)
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('photos', 'id'), :n)"), {"n": written})
        say(f"  {written:,} photos written ({time.monotonic() - started:.0f} s)")

        def derivative_rows() -> Iterator[list[Any]]:
            derivative_id = 0
            for photo_id in range(1, written + 1):
                sha = _sha(photo_id)
                for fmt in FORMATS:
                    for width in SIZES:
                        derivative_id += 1
                        key = f"derivatives/{sha}/1/{width}.{fmt}"
                        yield [derivative_id, photo_id, width, width * 2 // 3, fmt, key, width * 60]

        given = ["id", "photo_id", "width", "height", "format", "key", "size"]
        derived = _copy(conn, Derivative.__table__, derivative_rows(), given)
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('derivatives', 'id'), :n)"), {"n": derived})
        say(f"  {derived:,} derivative rows written ({time.monotonic() - started:.0f} s)")
        if search:
            from gallery.search import index

            # COPY bypasses the service that keeps the search documents current.  On PostgreSQL the
            # rebuild is a bulk load of its own (documents by COPY, the vectors in one statement, the
            # GIN indexes made afterwards).  At a million photos still the longest phase: ~57 s of
            # Python folding and ~52 s of PostgreSQL CPU (44 s of it the one INSERT ... SELECT).
            index.rebuild(conn)
            say(f"  search documents built ({time.monotonic() - started:.0f} s)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # this schema's tables only: a bare VACUUM would lock every schema's tables (the test suite's too).
        # VACUUM, not only ANALYZE: a live database is vacuumed (autovacuum), which marks the pages all
        # visible, and only then are index-only scans (counts, covers) free of heap visits; a freshly
        # COPYed table that nobody vacuumed (autovacuum may be off, and is slow to come) is not a state
        # any site runs in.
        tables = conn.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).all()
        for table in tables:
            conn.execute(sa.text(f'VACUUM (ANALYZE) "{table}"'))
    say(f"  vacuumed and analyzed ({time.monotonic() - started:.0f} s)")
    largest = album_rows[0]["slug"]
    return Seeded(written, albums, events, largest, sizes[0], time.monotonic() - started)


def _user() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "email": "seed@example.org",
        "name": "Seed Photographer",
        "password_hash": "!",
        "role": "photographer",
        "created_at": now,
        "updated_at": now,
    }


def _events(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    first = date(2016, 3, 1)
    for i in range(count):
        pl, en, zone = PLACES[i % len(PLACES)]
        kind = EVENT_KINDS[i % len(EVENT_KINDS)]
        starts = first + timedelta(days=i * 36 + rng.randrange(5))
        now = datetime.now(UTC)
        yield {
            "slug": f"event-{i + 1:04d}",
            "title": f"{kind} {starts.year}, {en}",
            "starts_on": starts,
            "ends_on": starts + timedelta(days=rng.choice((0, 1, 2))),
            "timezone": zone,
            "location": f"{en} / {pl}",
            "description": f"{kind} — {rng.randrange(150, 900)} delegates, {pl}.",
            "created_at": now,
            "updated_at": now,
        }


def _albums(
    sizes: list[int], event_ids: list[int], events: list[dict[str, Any]], rng: random.Random, user_id: int | None
) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for i, _count in enumerate(sizes):
        event = events[i % len(event_ids)]
        visibility = "public" if i == 0 or rng.random() < 0.9 else rng.choice(("unlisted", "private"))
        yield {
            "event_id": event_ids[i % len(event_ids)],
            "slug": f"album-{i + 1:05d}",
            "title": f"{event['title']} — {rng.choice(SUBJECTS_EN)[:60]}",
            "description": rng.choice(SUBJECTS_PL),
            "visibility": visibility,
            "share_token": hashlib.sha256(f"token{i}".encode()).hexdigest()[:32] if visibility == "unlisted" else None,
            "created_by_id": user_id,
            "created_at": now,
            "updated_at": now,
        }


_NOW = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as the UTCDateTime columns store it


def _sha(photo_id: int) -> str:
    return hashlib.sha256(f"seed-photo-{photo_id}".encode()).hexdigest()


def _photo(
    photo_id: int, album_id: int, n: int, count: int, day0: datetime, rng: random.Random, user_id: int | None
) -> dict[str, Any]:
    sha = _sha(photo_id)
    make, model = CAMERAS[photo_id % len(CAMERAS)]
    polish = rng.random() < 0.5
    subject = rng.choice(SUBJECTS_PL if polish else SUBJECTS_EN)
    credit = NAMES[(album_id + n // 50) % len(NAMES)]
    # spread over the event's days, 08:00-20:00 local, in capture order
    taken = day0 + timedelta(hours=7, seconds=int(n * (12 * 3600 * 2) / max(count, 1)))
    now = _NOW
    return {
        "id": photo_id,
        "album_id": album_id,
        "sha256": sha,
        "original_key": original_key(sha),
        "original_filename": f"IMG_{n + 1:05d}.JPG",
        "content_type": "image/jpeg",
        "size": 6_000_000 + photo_id % 4_000_000,
        "width": 6000,
        "height": 4000,
        "taken_at": taken.replace(tzinfo=None),
        "taken_at_offset_minutes": 120,
        "taken_at_source": "exif_original",
        "camera_make": make,
        "camera_model": model,
        "title": "",
        "caption": f"{subject}. {'Fot.' if polish else 'Photo:'} {credit}",
        "alt_text": subject,
        "credit": credit,
        "keywords": json.dumps(rng.sample(KEYWORDS, 2), ensure_ascii=False),
        "status": "ready",
        "processing_since": None,
        "created_at": now,
        "updated_at": now,
        "uploaded_by_id": user_id,
    }


# --- a private, migrated schema -------------------------------------------------------------------


def schema_url(database_url: str, schema: str) -> str:
    sep = "&" if "?" in database_url else "?"
    return f"{database_url}{sep}options=-csearch_path%3D{schema}"


def migrated_schema(database_url: str, schema: str) -> str:
    """Drop and make ``schema``, run the project's migrations in it; its URL."""
    from flask_migrate import upgrade

    from gallery.app import create_app
    from gallery.config import parse_database_url

    engine = sa.create_engine(parse_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = schema_url(database_url, schema)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "GALLERY_ENV": "testing",
                "GALLERY_INSTANCE_PATH": tmp,
                "GALLERY_DATABASE_URL": url,
                "GALLERY_SECRET_KEY": "seed-secret-key-" + "x" * 32,
                "GALLERY_CELERY_BROKER_URL": "",
                "GALLERY_LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "gallery" / "migrations"))
    return url


def drop_schema(database_url: str, schema: str) -> None:
    from gallery.config import parse_database_url

    engine = sa.create_engine(parse_database_url(database_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--schema", default="gallery_seed")
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--albums", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args(argv)
    from gallery.config import parse_database_url

    if not parse_database_url(args.database_url).startswith("postgresql"):
        parser.error("the seed needs PostgreSQL (COPY); give --database-url postgresql://...")
    if args.schema.startswith("gallery_test"):
        parser.error("that is a test suite schema name; choose another --schema")
    started = time.monotonic()
    print(f"seeding {args.photos:,} photos in {args.albums:,} albums of {args.events} events into {args.schema}")
    url = migrated_schema(args.database_url, args.schema)
    engine = sa.create_engine(parse_database_url(url))
    result = seed(engine, photos=args.photos, albums=args.albums, events=args.events)
    engine.dispose()
    total = time.monotonic() - started
    target = 600.0  # ten minutes, at any size up to the default million
    print(
        f"seeded {result.photos:,} photos ({result.largest_photos:,} in {result.largest_album}) in {total:.0f} s "
        f"(target {target:.0f} s): {'OK' if total <= target else 'MISSED'}"
    )
    return 0 if total <= target else 1


if __name__ == "__main__":
    sys.exit(main())
