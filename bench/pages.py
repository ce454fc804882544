"""Album page benchmark: the first page of a 2,000-photo album against a 20-photo album.

Not a test.  Builds one event with two public albums straight in the database (20 and
2,000 ready photos, each with six derivative rows, like ``gallery import`` leaves them),
then requests ``/albums/<slug>`` through Flask's test client, alternating the two albums,
and prints for each album the median server time (wall clock around the whole WSGI call:
routing, queries, template, ETag) and the median CPU time of the thread, the number of
SQL statements and the size of the HTML.  Target: big/small <= 1.5 (ratio of medians).

The first page of the big album shows a full page (``PAGE_SIZE`` photos, 60) where the
small album shows all of its 20, so the ratio is what the extra 40 tiles cost on top of
the fixed cost of a request; the album size itself must not matter (keyset pages read
an index range, one count, derivatives in one query), which ``--pages`` shows by also
timing a page deep inside the big album and ``--like-for-like`` by comparing first
pages of 20 photos each.  ``--page-size 200`` shows what a 200-photo page would cost.

Usage::

    python bench/pages.py [--repeats 200] [--database-url URL] [--page-size N] [--pages] [--like-for-like]

The default database is SQLite in a temporary folder (the embedded default);
``--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test`` uses a temporary
schema in PostgreSQL.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from gallery.app import create_app  # noqa: E402
from gallery.extensions import db  # noqa: E402
from gallery.photos.pages import PAGE_SIZE  # noqa: E402
from tests.web.helpers import add_photos, make_album, make_event  # noqa: E402

TARGET = 1.5


def build_app(
    tmp: Path, database_url: str | None, page_size: int | None = None, *, schema_prefix: str = "bench_pages_"
) -> tuple[Any, Callable[[], None]]:
    """An app on SQLite in ``tmp``, or on a new PostgreSQL schema (``schema_prefix`` + random) that
    ``cleanup`` drops; ``page_size`` sets the album page size (the app's default when None).
    Also used by ``bench/search.py``."""
    schema = None
    if database_url is None:
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        from gallery.config import parse_database_url

        schema = schema_prefix + uuid.uuid4().hex[:8]
        engine = sa.create_engine(parse_database_url(database_url))
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        sep = "&" if "?" in database_url else "?"
        url = f"{database_url}{sep}options=-csearch_path%3D{schema}"
    app = create_app(
        {
            "GALLERY_ENV": "testing",
            "GALLERY_INSTANCE_PATH": str(tmp / "instance"),
            "GALLERY_DATABASE_URL": url,
            "GALLERY_STORAGE_URL": (tmp / "media").as_uri(),
            "GALLERY_SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "GALLERY_CELERY_BROKER_URL": "",
            "GALLERY_RATELIMIT_STORAGE_URL": "memory://",
            "GALLERY_LOG_LEVEL": "WARNING",
            **({"ALBUM_PAGE_SIZE": page_size} if page_size is not None else {}),
        }
    )

    def cleanup() -> None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema and database_url:
            from gallery.config import parse_database_url

            engine = sa.create_engine(parse_database_url(database_url))
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()

    return app, cleanup


def populate(app: Any) -> None:
    with app.app_context():
        db.create_all()
        event = make_event(db.session, "bench-event")
        add_photos(db.session, make_album(db.session, event, "small"), 20)
        add_photos(db.session, make_album(db.session, event, "big"), 1_990, undated=10)
        db.session.remove()


def count_statements(app: Any, client: FlaskClient, url: str) -> int:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def measure(client: FlaskClient, urls: dict[str, str], repeats: int) -> dict[str, dict[str, float]]:
    wall: dict[str, list[float]] = {name: [] for name in urls}
    cpu: dict[str, list[float]] = {name: [] for name in urls}
    sizes: dict[str, int] = {}
    for name, url in urls.items():  # warm-up: compiled SQL, templates, connections
        for _ in range(5):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            sizes[name] = len(response.data)
    for _ in range(repeats):
        for name, url in urls.items():
            c0, w0 = time.thread_time(), time.perf_counter()
            response = client.get(url)
            w1, c1 = time.perf_counter(), time.thread_time()
            assert response.status_code == 200
            wall[name].append(w1 - w0)
            cpu[name].append(c1 - c0)
    return {
        name: {
            "wall_ms": statistics.median(wall[name]) * 1000,
            "cpu_ms": statistics.median(cpu[name]) * 1000,
            "bytes": sizes[name],
        }
        for name in urls
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    parser.add_argument("--pages", action="store_true", help="also time a page deep inside the big album")
    parser.add_argument(
        "--like-for-like",
        action="store_true",
        help="also run with a page size of 20, so that both first pages show 20 photos",
    )
    args = parser.parse_args()
    run(args, args.page_size)
    if args.like_for_like and args.page_size != 20:
        print()
        run(args, 20)
    return 0


def run(args: argparse.Namespace, page_size: int) -> None:

    with tempfile.TemporaryDirectory(prefix="gallery-bench-pages-") as tmp_name:
        app, cleanup = build_app(Path(tmp_name), args.database_url, page_size)
        try:
            populate(app)
            client = app.test_client()
            urls = {"small (20 photos)": "/albums/small", "big (2,000 photos), first page": "/albums/big"}
            if args.pages:
                html = client.get("/albums/big").get_data(as_text=True)
                for _ in range(4):  # the fifth page
                    found = re.search(r'<a href="([^"]+)" rel="next">', html)
                    assert found
                    url = found.group(1).replace("&amp;", "&")
                    html = client.get(url).get_data(as_text=True)
                urls["big, fifth page"] = url
            statements = {name: count_statements(app, client, url) for name, url in urls.items()}
            results = measure(client, urls, args.repeats)
        finally:
            cleanup()

    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"album page, {engine}, page size {page_size}, {args.repeats} requests each (medians)")
    for name, result in results.items():
        print(
            f"  {name:32s} {result['wall_ms']:8.2f} ms wall {result['cpu_ms']:8.2f} ms cpu"
            f"  {statements[name]:2d} SQL statements  {result['bytes'] / 1024:7.1f} KiB"
        )
    small, big = (results[name] for name in list(urls)[:2])
    ratio = big["wall_ms"] / small["wall_ms"]
    cpu_ratio = big["cpu_ms"] / small["cpu_ms"]
    verdict = "OK" if ratio <= TARGET else "ABOVE TARGET"
    print(f"ratio big/small: {ratio:.2f} wall, {cpu_ratio:.2f} cpu (target <= {TARGET}): {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
