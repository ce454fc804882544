"""A conference day of load on the production shape, with faults.

Not a test.  Starts on this machine what a deployment runs — gunicorn (``--web-workers`` each, one or
two instances with their own instance folders), nginx (Debian's package: reverse proxy, and the CDN
stand-in caching immutable web sizes), PostgreSQL (a private schema), Redis (a private database),
two Celery workers and beat, S3 on loopback (moto's server) — and drives it with locust headless
(``bench/locustfile.py``): 100 visitors browsing with 1-3 s between clicks and 5 photographers each
uploading a 10 MB photo every 20 s, for ``--minutes`` (5).

Faults during the run (unless ``--no-faults``): at 40 % one Celery worker is killed with SIGKILL while
it makes web sizes (and started again 5 s later, as systemd would); at 60 % one gunicorn worker is
killed with SIGKILL while it receives an upload.

Targets: 0 failed requests (a 503 with Retry-After, or a cut upload, that the client then retries
successfully is not a failure); page p95 <= 300 ms; upload p95 <= 3 s; every uploaded photo ready with
all sizes within 60 s of the end; nginx answers repeated public web sizes from its cache (HIT) and never
caches private ones; afterwards ``gallery verify`` is green (storage and database agree), no photo is
stuck, and every upload either made its photo or left nothing.  With ``--instances 2`` it also shows the
web tier keeps no state: a session made on one instance works on the other, the login rate limit counts
across both.  Prints its tables, ends with a one-line summary, exits 1 when a target is missed.

Usage::

    python bench/load.py [--minutes 5] [--visitors 100] [--photographers 5] [--instances 1|2]
                         [--web-workers 3] [--web-threads N] [--database-url URL] [--no-faults]

Needs nginx (``apt-get install nginx-light``) and the bench extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from load_checks import CpuMeter, cache_checks, stateless_checks  # noqa: E402
from load_faults import faults  # noqa: E402
from load_stack import Stack, stack_running  # noqa: E402
from PIL import Image  # noqa: E402
from seed import DEFAULT_URL  # noqa: E402

BIN = Path(sys.executable).parent
PAGE_P95_MS = 300.0
UPLOAD_P95_MS = 3000.0
READY_WITHIN_S = 60.0
PAGES = ("home", "event page", "album page", "album JSON page (lightbox)", "photo page", "search")


def photo_jpeg(seed: int, size: tuple[int, int], quality: int) -> bytes:
    """A photo-like JPEG (smooth gradients with noise): each seed gives other bytes."""
    rng = random.Random(seed)
    small = Image.new("RGB", (64, 48))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64 * 48)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(size, 40).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def ten_megabytes() -> bytes:
    """A 24 MP JPEG of about 10 MB (a camera's fine JPEG)."""
    for quality in (95, 92, 90, 88, 85, 80):
        data = photo_jpeg(7, (6000, 4000), quality)
        if len(data) <= 11_000_000:
            return data
    return data


def setup_catalogue(stack: Stack) -> dict[str, str]:
    """Users, a token, the event and albums, and 40 + 3 photos uploaded through nginx."""

    def ok(result: subprocess.CompletedProcess[str]) -> str:
        if result.returncode != 0:
            raise SystemExit(f"setup failed: {result.stdout}{result.stderr}")
        return result.stdout

    ok(
        stack.gallery(
            "create-user", "editor@load.example.org", "--role", "editor", "--name", "Ewa Edytor", "--no-password"
        )
    )
    token = ok(stack.gallery("create-token", "editor@load.example.org", "--name", "load")).strip().split()[-1]
    ok(
        stack.gallery(
            "create-event", "load-conference", "--title", "European Cluster Conference 2024",
            "--starts-on", "2024-05-07", "--ends-on", "2024-05-08", "--timezone", "Europe/Brussels",
        )
    )  # fmt: skip
    for slug, title, visibility in (
        ("plenary", "Opening plenary", "public"),
        ("live", "Live from the hall", "public"),
        ("backstage", "Backstage", "private"),
    ):
        ok(
            stack.gallery(
                "create-album", slug, "--event", "load-conference", "--title", title, "--visibility", visibility
            )
        )
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for album, count in (("plenary", 40), ("backstage", 3)):
        for i in range(count):
            data = photo_jpeg(1000 + i + (100 if album == "backstage" else 0), (2400, 1600), 88)
            response = session.post(
                f"{stack.base}/api/v1/albums/{album}/photos", files={"file": (f"P{i:03d}.JPG", data, "image/jpeg")}
            )
            if response.status_code not in (200, 201):
                raise SystemExit(f"setup upload failed: {response.status_code} {response.text[:300]}")
    wait_ready(stack, ("plenary", "backstage"), 120)
    return {"token": token}


def album_state(stack: Stack, slugs: tuple[str, ...]) -> tuple[int, int, int]:
    """(photos, ready with every size, stuck in processing) in the albums."""
    with stack.engine().connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT p.status, p.sizes_pending, (SELECT count(*) FROM derivatives d WHERE d.photo_id = p.id) "
                "FROM photos p JOIN albums a ON a.id = p.album_id WHERE a.slug = ANY(:s) AND p.deleted_at IS NULL"
            ),
            {"s": list(slugs)},
        ).all()
    full = max((r[2] for r in rows), default=0)
    ready = sum(1 for r in rows if r[0] == "ready" and not r[1] and r[2] == full)
    processing = sum(1 for r in rows if r[0] == "processing")
    return len(rows), ready, processing


def wait_ready(stack: Stack, slugs: tuple[str, ...], timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        total, ready, _ = album_state(stack, slugs)
        if total and ready == total:
            return time.monotonic() - started
        time.sleep(1)
    return None


def locust_stats(path: Path) -> dict[str, dict[str, float]]:
    stats: dict[str, dict[str, float]] = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
            }
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--photographers", type=int, default=5)
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--web-threads", type=int, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database schema")
    args = parser.parse_args(argv)
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        parser.error("nginx is missing: apt-get install nginx-light")
    seconds = args.minutes * 60
    problems: list[str] = []
    fault_log: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gallery-load-") as tmpname:
        tmp = Path(tmpname)
        print(
            f"starting the stack ({args.instances} instance(s) x {args.web_workers} gunicorn workers, nginx, "
            "2 Celery workers, beat, S3, Redis, PostgreSQL)"
        )
        with stack_running(args, tmp) as stack:
            token = setup_catalogue(stack)["token"]
            print(f"  catalogue ready: 40 public photos, 3 private; nginx on {stack.base}")
            jpeg = tmp / "ten-mb.jpg"
            jpeg.write_bytes(ten_megabytes())
            uploads = tmp / "uploads.jsonl"
            env = {
                **os.environ,
                "LOAD_EVENT": "load-conference",
                "LOAD_ALBUM": "plenary",
                "LOAD_UPLOAD_ALBUM": "live",
                "LOAD_TOKEN": token,
                "LOAD_JPEG": str(jpeg),
                "LOAD_UPLOAD_LOG": str(uploads),
                "LOAD_PHOTOGRAPHERS": str(args.photographers),
            }
            if not args.no_faults:
                threading.Thread(target=faults, args=(stack, seconds, fault_log), daemon=True).start()
            print(f"  locust: {args.visitors} visitors + {args.photographers} photographers for {args.minutes:g} min "
                  f"({jpeg.stat().st_size / 1e6:.1f} MB photos)")  # fmt: skip
            meter = CpuMeter(stack)
            run = subprocess.run(
                [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                 "-u", str(args.visitors + args.photographers), "-r", "20", "-t", f"{int(seconds)}s",
                 "--host", stack.base, "--csv", str(tmp / "stats"), "--only-summary", "--stop-timeout", "30"],
                env=env, cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            cpu = meter.report()
            ready_after = wait_ready(stack, ("live",), READY_WITHIN_S)
            total, ready, processing = album_state(stack, ("live",))
            log = [json.loads(line) for line in uploads.read_text().splitlines()] if uploads.exists() else []
            created = {entry["photo"] for entry in log if entry["outcome"] == "created"}
            retried = sum(entry["retried"] for entry in log)
            if ready_after is None:
                problems.append(
                    f"uploaded photos not all ready with every size within {READY_WITHIN_S:.0f} s: {ready}/{total}"
                )
            if total != len(created):
                problems.append(f"the upload album holds {total} photos, the photographers made {len(created)}")
            problems += cache_checks(stack, token)
            if args.instances == 2:
                problems += stateless_checks(stack, token, jpeg.read_bytes())
                if wait_ready(stack, ("handover",), READY_WITHIN_S) is None:
                    problems.append("the photo of the tus upload across the instances was not ready in time")
            verify = stack.gallery("verify")
            if verify.returncode != 0:
                problems.append(f"gallery verify exit {verify.returncode}: {verify.stdout[-800:]}")
            stats = locust_stats(tmp / "stats_stats.csv")
            failures = {name: s["failures"] for name, s in stats.items() if s["failures"] and name != "Aggregated"}
            if failures:
                problems.append(f"failed requests: {failures}")
                with (tmp / "stats_failures.csv").open() as handle:  # what they were, for the report
                    for row in list(csv.DictReader(handle))[:5]:
                        print(f"  failed: {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error'][:200]}")
            print()
            print(f"{'request':<32}{'count':>8}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}")
            for name, s in stats.items():
                print(f"{name:<32}{s['requests']:>8.0f}{s['failures']:>6.0f}{s['p50']:>9.0f}{s['p95']:>9.0f}")
            page_p95 = max((stats[p]["p95"] for p in PAGES if p in stats), default=0.0)
            upload_p95 = stats.get("upload (10 MB)", {}).get("p95", 0.0)
            if page_p95 > PAGE_P95_MS:
                slow = {p: stats[p]["p95"] for p in PAGES if p in stats and stats[p]["p95"] > PAGE_P95_MS}
                problems.append(f"page p95 over {PAGE_P95_MS:.0f} ms: {slow}")
            if upload_p95 > UPLOAD_P95_MS:
                problems.append(f"upload p95 {upload_p95:.0f} ms > {UPLOAD_P95_MS:.0f} ms")
            if run.returncode not in (0, 1):
                problems.append(f"locust exited {run.returncode}: {run.stderr[-500:]}")
            print()
            for line in fault_log:
                print("  fault:", line)
            print(f"  uploads: {len(log)} ({len(created)} photos, {retried} retries after a 503 or a cut connection); "
                  f"ready with all sizes {ready}/{total}"
                  + (f", {ready_after:.0f} s after the end" if ready_after is not None else ""))  # fmt: skip
            print(f"  verify: exit {verify.returncode}; stuck in processing: {processing}")
            print(f"  {cpu}")
    summary = (
        f"load: page p95 {page_p95:.0f} ms (<= {PAGE_P95_MS:.0f}), "
        f"upload p95 {upload_p95:.0f} ms (<= {UPLOAD_P95_MS:.0f}), "
        f"{len(created)} uploads ready, faults {'injected' if fault_log else 'off'}: "
        + ("OK" if not problems else "MISSED: " + "; ".join(problems))
    )
    print("\n" + summary)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
