"""First photo live: how soon after an upload starts its 400 px web size answers 200.

Not a test.  Over ``--photos`` (at least 10) generated 24 MP JPEGs (``bench/ingest.py``'s
``make_photo``: photo-like content, about 10 MB each, EXIF orientations 1, 6 and 8), each uploaded
through the API (``POST /api/v1/albums/<album>/photos``) to a real server on loopback:

* ``in-process``: gunicorn ``wsgi:app`` (2 gthread workers), derivatives in the request (the
  embedded default, no broker);
* ``celery``: the same gunicorn with ``GALLERY_CELERY_BROKER_URL`` on Redis (127.0.0.1:6379, a
  private database) and a real worker (``celery -A wsgi:celery worker``, prefork, 2 processes).

The clock starts when the upload request starts; a second thread polls the album's live feed
(``/albums/<album>/live.json``, what open album pages and the hall slideshow poll) every
``--poll-ms`` and, as soon as the photo is listed, fetches its 400 px JPEG; the clock stops at that
fetch's 200.  The next photo starts when the previous one has every size, so samples do not
overlap.  Target: p95 <= 0.8 s in both modes.

Then the derivative CPU time per photo (``time.process_time``, all threads of this process) of
the two stages the product runs (the smallest size decoded at the smallest DCT scale, then the
larger sizes) against the pyvips reference of ``bench/ingest.py`` (``thumbnail`` with
shrink-on-load, the same three sizes in JPEG and WebP), interleaved, in this run.  Target:
ours/pyvips <= 1.0 (ratio of medians).

Exits 1 when a target is missed, 2 when something could not run (no Redis, no pyvips).  The
machine may be shared: the spread (p50 next to p95, min/max) shows the noise.

Usage::

    python bench/first_photo.py [--photos 10] [--keep DIR] [--mode both|in-process|celery]
                                [--poll-ms 10] [--cpu-photos 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.ingest import ORIENTATIONS, make_photo, pyvips_module, run_pyvips  # noqa: E402
from gallery.media.derivatives import DEFAULT_SIZES, render_derivatives  # noqa: E402
from gallery.photos.process import stage_sizes  # noqa: E402
from tests.archive.faults import Child, child_env, private_redis_db  # noqa: E402
from tests.ingest.servers import Instance, gunicorn_server, post_photo, prepare_instance  # noqa: E402

TARGET_P95 = 0.8
TARGET_CPU_RATIO = 1.0
FIRST_EDGE = min(DEFAULT_SIZES)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"first-photo-{index}.jpg"
        if not path.exists():
            path.write_bytes(make_photo(1000 + index, ORIENTATIONS[index % len(ORIENTATIONS)]))
        paths.append(path)
    return paths


def first_size_live(base_url: str, instance: Instance, path: Path, after: int, poll: float) -> tuple[float, int]:
    """(seconds from the start of the upload to the 400 px JPEG answering 200, the photo id)."""
    data = path.read_bytes()
    outcome: dict[str, Any] = {}
    session = requests.Session()
    started = time.monotonic()
    uploader = threading.Thread(
        target=lambda: outcome.update(answer=post_photo(base_url, instance, data, path.name)), daemon=True
    )
    uploader.start()
    feed = f"{base_url}/albums/{instance.album}/live.json"
    deadline = started + 120
    while time.monotonic() < deadline:
        listed = session.get(feed, params={"after": after}, timeout=30).json()["photos"]
        if listed:
            photo = listed[0]
            if max(photo["width"], photo["height"]) != FIRST_EDGE:
                raise RuntimeError(f"the live feed's image is {photo['width']}x{photo['height']}, not {FIRST_EDGE} px")
            if session.get(base_url + photo["src"], timeout=30).status_code == 200:
                elapsed = time.monotonic() - started
                uploader.join(120)
                status = outcome.get("answer", (None,))[0]
                if status != 201:
                    raise RuntimeError(f"upload answered {status}: {outcome.get('answer')}")
                return elapsed, int(photo["id"])
        time.sleep(poll)
    raise RuntimeError(f"{path.name}: the first size did not appear within 120 s")


def wait_complete(base_url: str, instance: Instance, photo_id: int) -> None:
    """Until the photo has every size (the next sample starts on an idle server)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body = requests.get(
            f"{base_url}/api/v1/photos/{photo_id}", headers={"Authorization": f"Bearer {instance.token}"}, timeout=30
        ).json()
        if body.get("status") == "failed":
            raise RuntimeError(f"photo {photo_id} failed: {body.get('error')}")
        if body.get("status") == "ready" and not body.get("sizes_pending"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"photo {photo_id} did not get every size within 180 s")


@contextlib.contextmanager
def celery_worker(env: dict[str, str]) -> Iterator[Child]:
    celery = str(Path(sys.executable).with_name("celery"))
    worker = Child(
        [
            celery,
            "-A",
            "wsgi:celery",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "-Q",
            "gallery",
            "-l",
            "INFO",
        ],
        child_env(**env),
    )
    try:
        if not worker.wait_for("ready.", 90):
            raise RuntimeError(f"the Celery worker did not start:\n{worker.output}")
        yield worker
    finally:
        worker.stop()


def run_mode(mode: str, paths: list[Path], work: Path, poll: float) -> list[float]:
    broker: contextlib.AbstractContextManager[str | None] = (
        private_redis_db() if mode == "celery" else contextlib.nullcontext(None)
    )
    with broker as broker_url:
        extra = {"GALLERY_ENV": "development", "GALLERY_BASE_URL": ""}
        if broker_url:
            extra["GALLERY_CELERY_BROKER_URL"] = broker_url
        instance = prepare_instance(work / mode, **extra)
        worker = celery_worker(instance.env) if broker_url else contextlib.nullcontext(None)
        with worker, gunicorn_server(instance, workers=2, threads=4) as (_, base_url):
            # The first photo warms the workers up (imports, first connections); not counted.
            warm, after = first_size_live(base_url, instance, paths[0], 0, poll)
            wait_complete(base_url, instance, after)
            samples = []
            for path in paths[1:]:
                seconds, photo_id = first_size_live(base_url, instance, path, after, poll)
                samples.append(seconds)
                print(f"  {mode:10} {path.name}: {seconds * 1000:6.0f} ms", flush=True)
                wait_complete(base_url, instance, photo_id)
                after = photo_id
            print(f"  {mode:10} (warm-up, not counted: {warm * 1000:.0f} ms)")
    return samples


def cpu_before_live(paths: list[Path], work: Path) -> list[float]:
    """CPU seconds (this process, all threads) of an in-process API upload whose only web size is
    the first one (GALLERY_DERIVATIVE_SIZES=400): receiving, hashing, the check's decoding, storing
    the original, the commit and the first size, i.e. the work before a photo is live.  Unlike the
    wall-clock times above it hardly depends on what else the machine is doing."""
    from gallery.app import create_app

    instance = prepare_instance(work / "cpu", GALLERY_DERIVATIVE_SIZES=str(FIRST_EDGE))
    app = create_app(instance.env)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {instance.token}"}
    samples = []
    for path in paths:
        data = path.read_bytes()
        started = time.process_time()
        response = client.post(
            f"/api/v1/albums/{instance.album}/photos",
            data={"file": (io.BytesIO(data), path.name)},
            headers=headers,
            content_type="multipart/form-data",
        )
        samples.append(time.process_time() - started)
        if response.status_code != 201:
            raise RuntimeError(f"in-process upload answered {response.status_code}")
    return samples[1:]  # the first warms up


def ours_two_stages(path: Path) -> int:
    """What the product runs per photo: the smallest size first, then the larger ones."""
    first = render_derivatives(path, sizes=stage_sizes(DEFAULT_SIZES, "first"))
    rest = render_derivatives(path, sizes=stage_sizes(DEFAULT_SIZES, "rest"))
    return sum(len(d.data) for d in first + rest)


def cpu_comparison(paths: list[Path]) -> tuple[list[float], list[float]]:
    ours: list[float] = []
    vips: list[float] = []
    for path in paths:
        for method, into in ((ours_two_stages, ours), (run_pyvips, vips)):
            started = time.process_time()
            method(path)
            into.append(time.process_time() - started)
    return ours, vips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=10, help="24 MP photos to time per mode (at least 10)")
    parser.add_argument("--keep", type=Path, help="write the photos here and keep them for the next run")
    parser.add_argument("--mode", choices=("both", "in-process", "celery"), default="both")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="how often the watcher polls the live feed")
    parser.add_argument("--cpu-photos", type=int, default=5, help="photos for the CPU comparison with pyvips")
    args = parser.parse_args(argv)
    if args.photos < 10:
        parser.error("--photos must be at least 10")
    pyvips, why = pyvips_module()
    if pyvips is None:
        print(f"pyvips is not importable ({why}): pip install -e '.[bench]'")
        return 2
    print(f"CPUs: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; sizes {DEFAULT_SIZES}")
    with tempfile.TemporaryDirectory(prefix="gallery-first-photo-") as tmp:
        started = time.perf_counter()
        paths = photos(args.keep or Path(tmp) / "photos", args.photos + 1)  # one more to warm up
        print(f"{len(paths)} photos of 6000x4000 ready in {time.perf_counter() - started:.1f} s")
        modes = ["in-process", "celery"] if args.mode == "both" else [args.mode]
        missed = False
        results: dict[str, list[float]] = {}
        for mode in modes:
            try:
                results[mode] = run_mode(mode, paths, Path(tmp), args.poll_ms / 1000)
            except RuntimeError as exc:
                print(f"{mode}: could not run: {exc}")
                return 2
        print(
            f"\nfrom the start of the upload to the {FIRST_EDGE} px JPEG answering 200 (target p95 <= {TARGET_P95} s):"
        )
        for mode, samples in results.items():
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            ok = p95 <= TARGET_P95
            missed |= not ok
            print(
                f"  {mode:10} n={len(samples)} p50 {p50:.3f} s  p95 {p95:.3f} s  "
                f"min {min(samples):.3f}  max {max(samples):.3f}  {'ok' if ok else 'MISSED'}"
            )
        before = cpu_before_live(paths, Path(tmp))
        print(
            f"\nCPU before a photo is live (in-process upload with the {FIRST_EDGE} px size only, n={len(before)}):"
            f" median {statistics.median(before):.3f} s [{min(before):.3f}-{max(before):.3f}]"
            " (about the wall time on an idle machine; the times above are this machine's under its load)"
        )
        cpu_paths = paths[1 : 1 + max(1, args.cpu_photos)]
        ours, vips = cpu_comparison(cpu_paths)
        ratio = statistics.median(ours) / statistics.median(vips)
        ok = ratio <= TARGET_CPU_RATIO
        missed |= not ok
        print(
            f"\nderivative CPU per photo over {len(cpu_paths)} photos (target ours/pyvips <= {TARGET_CPU_RATIO}):\n"
            f"  ours (two stages) median {statistics.median(ours):.3f} s [{min(ours):.3f}-{max(ours):.3f}]\n"
            f"  pyvips            median {statistics.median(vips):.3f} s [{min(vips):.3f}-{max(vips):.3f}]\n"
            f"  ratio {ratio:.2f}  {'ok' if ok else 'MISSED'}"
        )
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
