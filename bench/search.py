"""Search benchmark: search requests against a server at 10,000 and at 100,000 photos.

Not a test.  Seeds photos with realistic Polish and English captions (speakers, sessions,
topics, cities; credits, cameras, keywords) in events and albums straight in the database,
builds their search documents (:func:`gallery.search.index.index_photos`), starts the app in a
real HTTP server (werkzeug, threaded, on loopback) and times ``GET /api/v1/search`` requests as
an anonymous visitor, wall clock around each request: single words, prefixes, phrases, and
searches with filters (event and day; credit).  Then it seeds up to the full size and measures
again.  Before measuring, the objects the process holds are frozen out of the garbage
collector's generations (``gc.freeze()``), as gunicorn.conf.py's ``post_worker_init`` does in
each production worker once it has loaded the app.  Prints the median and the 95th percentile of each kind at each size.

Targets: p95 <= 50 ms at the full size on PostgreSQL, and p95(full) <= 2 x p95(10,000) for every
kind on both databases.  Exit status 1 when a target is missed.

Usage::

    python bench/search.py [--database-url URL] [--photos N] [--repeats R]

The default database is SQLite in a temporary folder (the embedded default), 20,000 photos;
``--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test`` uses a private schema
(created and dropped here, never the test suite's), 100,000 photos.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import sqlalchemy as sa  # noqa: E402
from pages import build_app as pages_app  # noqa: E402

from gallery.extensions import db  # noqa: E402
from gallery.media.derivatives import derivative_key  # noqa: E402
from gallery.models import Album, Derivative, Event, Photo  # noqa: E402
from gallery.search import index  # noqa: E402

FIRST = 10_000
TARGET_P95_MS = 50.0
TARGET_GROWTH = 2.0
EVENTS = 20
ALBUMS_PER_EVENT = 10

SPEAKERS = [
    "Komisarz Elisa Ferreira", "Commissioner Thierry Breton", "Anna Łęcka", "Paweł Żółkiewski", "Maria Gómez",
    "Jan Kowalski", "Ewa Szczęsna", "Dr Hans Müller", "Zofia Wójcik", "Prof. Łukasz Dąbrowski", "Sophie Martin",
    "Grzegorz Brzęczyszczykiewicz", "Katarzyna Ślązak", "Mikołaj Źródłowski", "Olivia Smith",
]  # fmt: skip
TOPICS_PL = [
    "polityki klastrowej", "łańcuchów dostaw", "kompetencji cyfrowych", "transformacji energetycznej",
    "innowacji w przemyśle", "współpracy międzyregionalnej", "gospodarki o obiegu zamkniętym", "zielonej stali",
    "żółwiej ścieżki startupów", "finansowania badań",
]  # fmt: skip
TOPICS_EN = [
    "cluster policy", "resilient supply chains", "digital skills", "the energy transition", "industrial innovation",
    "interregional partnerships", "the circular economy", "green steel", "startup scale-up", "research funding",
]  # fmt: skip
CITIES = ["Łódź", "Kraków", "Gdańsk", "Wrocław", "Poznań", "Brussels", "Warszawa", "Szczecin", "Lyon", "Bilbao"]
PL = [
    "{speaker} przemawia podczas sesji o {topic_pl}",
    "Uczestnicy konferencji w {city} słuchają wystąpienia o {topic_pl}",
    "Panel dyskusyjny: przyszłość {topic_pl}",
    "Podpisanie deklaracji o {topic_pl} w {city}",
    "Przerwa kawowa i rozmowy kuluarowe, {city}",
    "Warsztaty z {topic_pl} prowadzi {speaker}",
    "Zdjęcie grupowe uczestników konferencji w {city}",
    "Otwarcie konferencji: {speaker} wita gości",
    "Kolacja networkingowa w {city}",
    "Pytania z sali do {speaker}",
]  # fmt: skip
EN = [
    "{speaker} speaks in the session on {topic_en}",
    "Delegates in {city} listen to a keynote on {topic_en}",
    "Panel discussion: the future of {topic_en}",
    "Signing the joint declaration on {topic_en} in {city}",
    "Coffee break networking, {city}",
    "Workshop on {topic_en} led by {speaker}",
    "Group photo of the conference delegates in {city}",
    "Opening plenary: {speaker} welcomes the guests",
    "Networking dinner in {city}",
    "Questions from the floor for {speaker}",
]  # fmt: skip
CREDITS = [f"{first} {last}" for first in ("Anna", "Piotr", "Marta", "Tomasz") for last in ("Nowak", "Lis", "Żak")]
CAMERAS = [("Canon", "Canon EOS R6"), ("NIKON CORPORATION", "NIKON Z 6_2"), ("SONY", "ILCE-7M4"), ("FUJIFILM", "X-T5")]
KEYWORDS = ["konferencja", "conference", "panel", "networking", "deklaracja", "warsztaty", "workshop", "plenary"]

#: What is searched, by kind: (q, extra arguments).  Filters use the first event and day.
QUERIES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "single word": [("deklaracji", {}), ("commissioner", {}), ("networking", {}), ("gdansk", {}), ("łódź", {})],
    "prefix": [("konf", {}), ("deklar", {}), ("warszt", {}), ("zolw", {}), ("interreg", {})],
    "phrase": [('"podpisanie deklaracji"', {}), ('"networking dinner"', {}), ('"panel dyskusyjny"', {})],
    "filtered": [
        ("konf", {"event": "event-00", "day": "2024-05-07"}),
        ("panel", {"credit": "Anna Nowak"}),
        ("", {"event": "event-01", "day": "2024-06-07", "sort": "time"}),
        ("deklar", {"event": "event-02", "camera": "NIKON Z 6_2"}),
    ],
}


# --- seeding --------------------------------------------------------------------------------------------


def caption(rng: random.Random) -> str:
    template = rng.choice(PL if rng.random() < 0.6 else EN)
    return template.format(
        speaker=rng.choice(SPEAKERS),
        topic_pl=rng.choice(TOPICS_PL),
        topic_en=rng.choice(TOPICS_EN),
        city=rng.choice(CITIES),
    )


def seed_catalogue(app: Any) -> list[int]:
    """Events and albums (most public; some unlisted and private); the album ids."""
    now = datetime.now(UTC)
    with app.app_context(), db.engine.begin() as conn:
        album_ids = []
        for e in range(EVENTS):
            start = date(2024, 5, 7) + timedelta(days=30 * e) if e else date(2024, 5, 7)
            event_id = conn.execute(
                sa.insert(Event).returning(Event.id),
                {
                    "slug": f"event-{e:02}",
                    "title": f"{rng_title(e)} {2024 + e // 12}",
                    "starts_on": start,
                    "ends_on": start + timedelta(days=1),
                    "timezone": "Europe/Warsaw" if e % 3 else "Europe/Brussels",
                    "location": CITIES[e % len(CITIES)],
                    "description": "Konferencja i warsztaty / conference and workshops",
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            for a in range(ALBUMS_PER_EVENT):
                visibility = "private" if a == 8 else "unlisted" if a == 9 else "public"
                album_ids.append(
                    conn.execute(
                        sa.insert(Album).returning(Album.id),
                        {
                            "event_id": event_id,
                            "slug": f"album-{e:02}-{a}",
                            "title": f"Dzień {a % 2 + 1}: {TOPICS_PL[a]}",
                            "description": f"Day {a % 2 + 1}: {TOPICS_EN[a]}",
                            "visibility": visibility,
                            "share_token": uuid.uuid4().hex if visibility == "unlisted" else None,
                            "created_at": now,
                            "updated_at": now,
                        },
                    ).scalar_one()
                )
        index.index_albums(conn, sa.true())
    return album_ids


def rng_title(e: int) -> str:
    return [
        "Europejska Konferencja Klastrów",
        "European Cluster Conference",
        "Forum Przemysłu",
        "Smart Regions Summit",
    ][e % 4]


def seed_photos(app: Any, album_ids: list[int], start: int, stop: int, rng: random.Random) -> None:
    """Photos ``start`` .. ``stop - 1`` (ready, two derivative rows each), spread over the albums;
    then their search documents."""
    now = datetime.now(UTC)
    with app.app_context(), db.engine.begin() as conn:
        first_new = conn.execute(sa.select(sa.func.coalesce(sa.func.max(Photo.id), 0))).scalar_one()
        for batch_start in range(start, stop, 5000):
            rows = []
            for n in range(batch_start, min(stop, batch_start + 5000)):
                album_index = n % len(album_ids)
                e = album_index // ALBUMS_PER_EVENT
                day = date(2024, 5, 7) + timedelta(days=30 * e + (n // len(album_ids)) % 2)
                taken = datetime(day.year, day.month, day.day, 6, tzinfo=UTC) + timedelta(
                    seconds=rng.randrange(14 * 3600)
                )
                sha = hashlib.sha256(f"bench {n}".encode()).hexdigest()
                make, model = rng.choice(CAMERAS)
                rows.append(
                    {
                        "album_id": album_ids[album_index],
                        "sha256": sha,
                        "original_key": f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}",
                        "original_filename": f"IMG_{n:06}.JPG",
                        "content_type": "image/jpeg",
                        "size": 6_000_000,
                        "width": 6000,
                        "height": 4000,
                        "taken_at": taken,
                        "taken_at_offset_minutes": 120,
                        "taken_at_source": "exif_original",
                        "caption": caption(rng),
                        "alt_text": "",
                        "credit": rng.choice(CREDITS),
                        "keywords": rng.sample(KEYWORDS, 2),
                        "camera_make": make,
                        "camera_model": model,
                        "status": "ready",
                        "processing_since": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(sa.insert(Photo), rows)
        new = sa.select(Photo.id, Photo.sha256, Photo.media_version).where(Photo.id > first_new)
        for batch in chunks(conn.execute(new), 5000):
            conn.execute(
                sa.insert(Derivative),
                [
                    {
                        "photo_id": pid,
                        "width": 400,
                        "height": 267,
                        "format": fmt,
                        "key": derivative_key(sha, version, 400, fmt),
                        "size": 30_000,
                    }
                    for pid, sha, version in batch
                    for fmt in ("jpeg", "webp")
                ],
            )
        index.index_photos(conn, Photo.__table__.c.id > first_new)
        if conn.dialect.name == "postgresql":
            # this schema's tables only: a bare ANALYZE would visit (and wait for) every schema
            conn.exec_driver_sql("ANALYZE events, albums, photos, derivatives, search_documents, search_vectors")


def chunks(rows: Any, size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- measuring ------------------------------------------------------------------------------------------


def serve(app: Any) -> tuple[str, Callable[[], None]]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.server_port}", stop


def url_of(base: str, q: str, extra: dict[str, str]) -> str:
    return f"{base}/api/v1/search?" + urllib.parse.urlencode({"q": q, **extra})


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        body: dict[str, Any] = json.loads(response.read())
        return body


def measure(base: str, repeats: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for kind, queries in QUERIES.items():
        for q, extra in queries:  # warm-up, and every query finds something
            found = get(url_of(base, q, extra))
            assert found["photos"], (kind, q, extra)
        times: list[float] = []
        for i in range(repeats):
            q, extra = queries[i % len(queries)]
            t0 = time.perf_counter()
            get(url_of(base, q, extra))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        results[kind] = {
            "median": statistics.median(times),
            "p95": times[min(len(times) - 1, round(0.95 * len(times)) - 1)],
            "max": times[-1],
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a private schema is made in it)")
    parser.add_argument("--photos", type=int, default=None, help="full size (100,000 on PostgreSQL, 20,000 on SQLite)")
    parser.add_argument("--repeats", type=int, default=200, help="requests of each kind at each size")
    args = parser.parse_args()
    postgresql = args.database_url is not None
    full = args.photos or (100_000 if postgresql else 20_000)
    first = min(FIRST, full)
    rng = random.Random(20240507)
    measured: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="gallery-bench-search-") as tmp_name:
        app, cleanup = pages_app(Path(tmp_name), args.database_url, schema_prefix="bench_search_")
        try:
            with app.app_context():
                db.create_all()
            album_ids = seed_catalogue(app)
            base, stop = serve(app)
            try:
                done = 0
                for size in dict.fromkeys((first, full)):
                    t0 = time.perf_counter()
                    seed_photos(app, album_ids, done, size, rng)
                    print(f"seeded {size:,} photos ({time.perf_counter() - t0:.1f} s)", flush=True)
                    done = size
                    # as gunicorn.conf.py's post_worker_init does once a worker has loaded the app
                    gc.collect()
                    gc.freeze()
                    measured[size] = measure(base, args.repeats)
            finally:
                stop()
        finally:
            cleanup()

    engine = "PostgreSQL" if postgresql else "SQLite"
    print(f"search, {engine}, GET /api/v1/search as a visitor over HTTP, {args.repeats} requests per kind and size")
    print(f"  {'kind':12s} " + "  ".join(f"{f'{size:,} photos':>26s}" for size in measured))
    print(f"  {'':12s} " + "  ".join(f"{'median':>8s} {'p95':>8s} {'max':>8s}" for _ in measured))
    for kind in QUERIES:
        cells = "  ".join(
            " ".join(f"{measured[size][kind][stat]:8.1f}" for stat in ("median", "p95", "max")) for size in measured
        )
        print(f"  {kind:12s} {cells}   (ms)")
    misses = []
    small, big = measured[first], measured[full]
    for kind in QUERIES:
        growth = big[kind]["p95"] / small[kind]["p95"]
        if full != first and growth > TARGET_GROWTH:
            misses.append(
                f"{kind}: p95 grew {growth:.2f}x from {first:,} to {full:,} photos (target <= {TARGET_GROWTH})"
            )
        if postgresql and big[kind]["p95"] > TARGET_P95_MS:
            misses.append(
                f"{kind}: p95 {big[kind]['p95']:.1f} ms at {full:,} photos (target <= {TARGET_P95_MS:.0f} ms)"
            )
    for miss in misses:
        print("MISSED " + miss)
    print("all targets met" if not misses else f"{len(misses)} target(s) missed")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
