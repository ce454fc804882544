"""Does Gallery stay as fast at a million photos as at a hundred thousand?

Not a test.  Seeds two private PostgreSQL schemas with ``bench/seed.py`` — ``--photos`` (default
1,000,000) and a tenth of it — each with the largest album holding 2 % of the photos, then asks the
same pages of each through the app (in-process, Flask's test client: server time only) and prints
p50 and p95 per page:

* the home page, the largest album's event page,
* the first and a deep keyset page of the largest album (``?after=`` followed page by page),
* a photo page in the middle of that album,
* the API list of the album's photos (first page),
* search (``/api/v1/search?q=``), when the app has it.

Target: every p95 at the larger size within 1.5x its p95 at the smaller (search within 2x).  For the
slowest SQL statement of each page the script prints PostgreSQL's ``EXPLAIN`` and flags a sequential
scan of ``photos`` or ``derivatives``.  Ends with a one-line summary; exits 1 when a target is missed.

Usage::

    python bench/scale.py [--database-url URL] [--photos N] [--repeats 40] [--keep] [--schemas SMALL,LARGE]
                          [--interleaved]

The schemas (``bench_scale_<n>_<random>``) are dropped afterwards unless ``--keep``.  ``--schemas``
measures two schemas ``bench/seed.py --schema`` filled before (migrated to the current head) instead
of seeding (about 10 minutes saved per run); they are kept.  ``--interleaved`` keeps both catalogues up
and alternates their requests page by page (small, large, small, ...), so that load from other work
on the machine slows both sizes alike; by default one size is measured after the other.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import sqlalchemy as sa  # noqa: E402
from seed import DEFAULT_URL, Seeded, drop_schema, migrated_schema, schema_url, seed  # noqa: E402

from gallery.app import create_app  # noqa: E402
from gallery.config import parse_database_url  # noqa: E402
from gallery.extensions import db  # noqa: E402

TARGET = 1.5
SEARCH_TARGET = 2.0
SLOW_STATEMENT_MS = 2.0


@dataclass
class Measured:
    times_ms: list[float] = field(default_factory=list)
    statements: dict[str, float] = field(default_factory=dict)  # SQL -> slowest ms seen

    def p(self, q: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def percentile_table(results: dict[int, dict[str, Measured]]) -> list[str]:
    sizes = sorted(results)
    lines = [f"{'page':<22}" + "".join(f"{f'p50 @{n:,}':>16}{f'p95 @{n:,}':>16}" for n in sizes) + f"{'p95 ratio':>11}"]
    for page in results[sizes[0]]:
        row = f"{page:<22}"
        for n in sizes:
            m = results[n][page]
            row += f"{m.p(0.5):>14.1f}ms{m.p(0.95):>14.1f}ms"
        ratio = results[sizes[-1]][page].p(0.95) / max(results[sizes[0]][page].p(0.95), 0.001)
        lines.append(row + f"{ratio:>10.2f}x")
    return lines


def existing(database_url: str, schema: str) -> Seeded:
    """What ``bench/seed.py`` once wrote into ``schema`` (for ``--schemas``)."""
    engine = sa.create_engine(parse_database_url(schema_url(database_url, schema)))
    try:
        with engine.connect() as conn:
            photos, albums, events = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM photos), (SELECT count(*) FROM albums), (SELECT count(*) FROM events)"
                )
            ).one()
            largest, size = conn.execute(
                sa.text(
                    "SELECT a.slug, count(*) FROM photos p JOIN albums a ON a.id = p.album_id"
                    " GROUP BY a.slug ORDER BY count(*) DESC, a.slug LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return Seeded(int(photos), int(albums), int(events), str(largest), int(size), 0.0)


class Bench:
    def __init__(self, database_url: str, photos: int, tmp: Path, keep: bool, schema: str | None = None) -> None:
        self.database_url = database_url
        if schema is not None:  # --schemas: measure what is there, never drop it
            self.schema, self.keep = schema, True
            url = schema_url(database_url, schema)
            self.seeded: Seeded = existing(database_url, schema)
            self.n = self.seeded.photos
            print(f"  {self.n:,} photos in {schema} (reused)")
        else:
            self.n = photos
            self.schema = f"bench_scale_{photos}_{uuid.uuid4().hex[:6]}"
            self.keep = keep
            started = time.monotonic()
            url = migrated_schema(database_url, self.schema)
            engine = sa.create_engine(parse_database_url(url))
            albums = max(2, photos // 500)
            self.seeded = seed(engine, photos=photos, albums=albums, events=max(1, albums // 20), say=_quiet)
            engine.dispose()
            print(f"  seeded {photos:,} photos in {time.monotonic() - started:.0f} s ({self.schema})")
        self.app = create_app(
            {
                "GALLERY_ENV": "testing",
                "GALLERY_INSTANCE_PATH": str(tmp / f"instance-{photos}"),
                "GALLERY_DATABASE_URL": url,
                "GALLERY_STORAGE_URL": (tmp / f"media-{photos}").as_uri(),
                "GALLERY_SECRET_KEY": "bench-secret-key-" + "x" * 32,
                "GALLERY_CELERY_BROKER_URL": "",
                "GALLERY_RATELIMIT_STORAGE_URL": "memory://",
                "GALLERY_LOG_LEVEL": "WARNING",
                "RATELIMIT_ENABLED": False,
            }
        )
        self.client = self.app.test_client()
        self.recording: Measured | None = None
        self.parameters: dict[str, Any] = {}
        with self.app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", self._before)
            sa.event.listen(db.engine, "after_cursor_execute", self._after)
        self.pages = self._pages()

    def close(self) -> None:
        if not self.keep:
            with self.app.app_context():
                db.engine.dispose()
            drop_schema(self.database_url, self.schema)

    # --- SQL timing ---------------------------------------------------------------------------------

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if self.recording is None:
            return
        ms = (time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())) * 1000
        key = statement
        if ms > self.recording.statements.get(key, 0.0):
            self.recording.statements[key] = ms
            self.parameters[key] = parameters

    # --- pages ----------------------------------------------------------------------------------------

    def _get(self, url: str) -> Any:
        response = self.client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
        return response

    def _pages(self) -> dict[str, str]:
        album = self.seeded.largest_album
        with self.app.app_context():
            event = db.session.execute(
                sa.text("SELECT e.slug FROM events e JOIN albums a ON a.event_id = e.id WHERE a.slug = :s"),
                {"s": album},
            ).scalar_one()
            middle = db.session.execute(
                sa.text(
                    "SELECT p.id FROM photos p JOIN albums a ON a.id = p.album_id WHERE a.slug = :s "
                    "ORDER BY p.taken_at, p.id OFFSET :o LIMIT 1"
                ),
                {"s": album, "o": self.seeded.largest_photos // 2},
            ).scalar_one()
        deep = f"/albums/{album}"
        for _ in range(min(40, max(1, self.seeded.largest_photos // 200))):  # follow ?after= into the album
            found = re.search(r'href="([^"]*[?&]after=[^"]+)"', self._get(deep).get_data(as_text=True))
            if not found:
                break
            deep = found.group(1).replace("&amp;", "&")
        pages = {
            "home": "/",
            "event page": f"/events/{event}",
            "album, first page": f"/albums/{album}",
            "album, deep page": deep,
            "photo page": f"/albums/{album}/photos/{middle}",
            "API photo list": f"/api/v1/albums/{album}/photos",
        }
        if self.client.get("/api/v1/search?q=konferencja").status_code == 200:
            pages["search"] = "/api/v1/search?q=komisarz"
        return pages

    def measure(self, repeats: int) -> dict[str, Measured]:
        results: dict[str, Measured] = {}
        for page, url in self.pages.items():
            for _ in range(3):
                self._get(url)  # warm caches
            measured = Measured()
            self.recording = measured
            for _ in range(repeats):
                started = time.perf_counter()
                self._get(url)
                measured.times_ms.append((time.perf_counter() - started) * 1000)
            self.recording = None
            results[page] = measured
        return results

    def slowest_plans(self, results: dict[str, Measured]) -> dict[str, list[str]]:
        """The slowest statement of each page (when it took SLOW_STATEMENT_MS or more) and its plan."""
        plans: dict[str, list[str]] = {}
        for page, measured in results.items():
            for statement, ms in sorted(measured.statements.items(), key=lambda kv: -kv[1])[:1]:
                if ms >= SLOW_STATEMENT_MS:
                    plans[f"{page} ({ms:.1f} ms)"] = [statement.strip()[:400], *self.explain(statement)]
        return plans

    def explain(self, statement: str) -> list[str]:
        """PostgreSQL's plan for ``statement`` with the parameters it last ran with."""
        with self.app.app_context():
            conn = db.engine.raw_connection()
            try:
                cursor = conn.cursor()
                cursor.execute("EXPLAIN " + statement, self.parameters.get(statement) or None)
                return [row[0] for row in cursor.fetchall()]
            except Exception as exc:  # noqa: BLE001 - a statement needing parameters we did not keep
                return [f"(EXPLAIN not available: {str(exc).splitlines()[0]})"]
            finally:
                conn.close()


def measure_interleaved(benches: list[Bench], repeats: int) -> list[dict[str, Measured]]:
    """Each page of every catalogue in turn, request by request (small, large, small, large, ...): on
    a machine whose load changes during the run (other work on its cores) both sizes are slowed
    alike, where measuring one size after the other compares a quiet minute with a busy one."""
    results: list[dict[str, Measured]] = [{} for _ in benches]
    for page in [p for p in benches[0].pages if all(p in b.pages for b in benches)]:
        for bench in benches:
            for _ in range(3):
                bench._get(bench.pages[page])  # warm caches
        measured = [Measured() for _ in benches]
        for _ in range(repeats):
            for bench, into in zip(benches, measured, strict=True):
                bench.recording = into
                started = time.perf_counter()
                bench._get(bench.pages[page])
                into.times_ms.append((time.perf_counter() - started) * 1000)
                bench.recording = None
        for result, into in zip(results, measured, strict=True):
            result[page] = into
    return results


def _quiet(_: str) -> None:
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the seeded schemas")
    parser.add_argument(
        "--schemas",
        metavar="SMALL,LARGE",
        help="measure two schemas bench/seed.py already filled (kept) instead of seeding new ones",
    )
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="keep both catalogues up and alternate their requests (for a machine with other work on it)",
    )
    args = parser.parse_args(argv)
    if not parse_database_url(args.database_url).startswith("postgresql"):
        parser.error("the scale benchmark needs PostgreSQL")
    reused: list[str | None] = [None, None]
    if args.schemas:
        reused = [name.strip() or None for name in args.schemas.split(",")]
        if len(reused) != 2 or not all(reused):
            parser.error("--schemas takes two schema names, the smaller first: SMALL,LARGE")
    sizes = [args.photos // 10, args.photos]
    results: dict[int, dict[str, Measured]] = {}
    plans: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.interleaved:
            benches: list[Bench] = []
            try:
                for i, n in enumerate(sizes):
                    print(f"{n:,} photos:" if reused[i] is None else f"schema {reused[i]}:")
                    benches.append(Bench(args.database_url, n, Path(tmp), args.keep, schema=reused[i]))
                sizes = [bench.n for bench in benches]
                for n, measured in zip(sizes, measure_interleaved(benches, args.repeats), strict=True):
                    results[n] = measured
                plans = benches[-1].slowest_plans(results[sizes[-1]])
            finally:
                for bench in benches:
                    bench.close()
        else:
            for i, n in enumerate(list(sizes)):
                print(f"{n:,} photos:" if reused[i] is None else f"schema {reused[i]}:")
                bench = Bench(args.database_url, n, Path(tmp), args.keep, schema=reused[i])
                n = sizes[i] = bench.n
                try:
                    results[n] = bench.measure(args.repeats)
                    if n == sizes[-1]:
                        plans = bench.slowest_plans(results[n])
                finally:
                    bench.close()
    print()
    for line in percentile_table(results):
        print(line)
    seq_scans = []
    for title, lines in plans.items():
        print(f"\nslowest statement of {title}:")
        for line in lines:
            print("   ", line)
        if any(re.search(r"Seq Scan on (photos|derivatives)\b", line) for line in lines[1:]):
            seq_scans.append(title)
    missed = []
    for page in results[sizes[0]]:
        ratio = results[sizes[-1]][page].p(0.95) / max(results[sizes[0]][page].p(0.95), 0.001)
        limit = SEARCH_TARGET if page == "search" else TARGET
        if ratio > limit:
            missed.append(f"{page} {ratio:.2f}x > {limit}x")
    summary = (
        f"scale: p95 at {sizes[-1]:,} vs {sizes[0]:,} photos — "
        + (f"MISSED: {'; '.join(missed)}" if missed else "every page within its target")
        + (f"; sequential scans in: {', '.join(seq_scans)}" if seq_scans else "; no sequential scan of photos")
    )
    print("\n" + summary)
    return 1 if missed or seq_scans else 0


if __name__ == "__main__":
    sys.exit(main())
