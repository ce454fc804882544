"""Ingest benchmark, part 1: rendering derivatives of 24-megapixel photos.

Not a test: it prints CPU time per photo for three ways of producing the same derivative
set (400, 1024 and 2048 px on the long edge, each as progressive JPEG q82 and WebP q80),
all measured in this run on photos this script generates itself:

* ``ours``   ``gallery.media.derivatives.render_derivatives`` (JPEG draft decode, one
             decode, Lanczos resize, cascade, orientation, colour management);
* ``naive``  plain Pillow, once per size: open, full decode, ``exif_transpose``,
             ``thumbnail(LANCZOS)``, save JPEG and WebP;
* ``pyvips`` libvips through pyvips: ``thumbnail(path, 2048)`` (shrink-on-load and
             autorotation), then ``thumbnail_image`` 1024 and 400 from the previous one,
             each materialised once and saved with ``jpegsave`` and ``webpsave``.

Targets: ours/pyvips <= 1.2 and naive/ours >= 2 (ratios of medians).  Times are
``time.process_time()`` deltas (CPU seconds of all threads of this process; libvips and
libheif use threads, Pillow mostly does not), one sample per photo and repeat, methods
interleaved.  Peak RSS is measured in a fresh subprocess per method for one photo.

Part 2 measures the whole import path (hash, validate, EXIF, store the original,
commit, derivatives) as ``gallery import`` runs it, with ``--jobs 1`` and ``--jobs 2``,
each in a fresh process with a fresh instance (SQLite + local storage): photos per
second, the RSS at the start of the import (the imported modules, the app) and the
process's peak RSS (its own VmHWM).  ``--jobs`` runs threads in that one process
(``gallery/photos/batch.py``) and the child checks it started no process of its own,
so its VmHWM is the peak of the whole import.  Targets: jobs 2 at least 1.7x the
throughput of jobs 1; peak memory at most 250 MB.

Usage::

    python bench/ingest.py [--photos 3] [--repeats 3] [--no-rss] [--keep DIR]
                           [--import-photos 8] [--import-repeats 3] [--skip-import]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import PIL  # noqa: E402
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps  # noqa: E402

from gallery.media.derivatives import DEFAULT_SIZES, RenderStats, render_derivatives  # noqa: E402

SIZES: tuple[int, ...] = DEFAULT_SIZES
JPEG_QUALITY = 82
WEBP_QUALITY = 80
WEBP_METHOD = 4
PHOTO_SIZE = (6000, 4000)
#: Orientations cycled through the generated photos (upright, rotated 90 CW, 90 CCW).
ORIENTATIONS = (1, 6, 8)

Method = Callable[[Path], int]  # returns the total bytes produced


# --------------------------------------------------------------------------------------
# Test photos


def make_photo(seed: int, orientation: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A photo-like JPEG: smooth colour gradients, soft shapes, mid-frequency texture and
    fine luminance noise, saved at quality 92 (about 10 MB for 24 MP), with EXIF
    Orientation, DateTimeOriginal, Make/Model."""
    rnd = random.Random(seed)
    width, height = size
    small = Image.new("RGB", (8, 6))
    small.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(48)])
    base = small.resize((width // 4, height // 4), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(base)
    for _ in range(120):
        x0, y0 = rnd.randrange(width // 4), rnd.randrange(height // 4)
        x1, y1 = x0 + rnd.randrange(20, 400), y0 + rnd.randrange(20, 300)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        kind = rnd.randrange(3)
        if kind == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif kind == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=rnd.randrange(2, 12))
    base = base.filter(ImageFilter.GaussianBlur(1.5)).resize(size, Image.Resampling.BILINEAR)
    texture = Image.effect_noise((width // 4, height // 4), 40).resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, 6)
    bands = []
    for band in base.split():
        band = ImageChops.add(band, texture, scale=1.0, offset=-128)
        bands.append(ImageChops.add(band, grain, scale=1.0, offset=-128))
    photo = Image.merge("RGB", bands)
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"  # Make
    exif[0x0110] = "Synthetic 24"  # Model
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = f"2024:05:07 {9 + seed % 8:02d}:{seed % 60:02d}:00"  # DateTimeOriginal
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# The three methods


def run_ours(path: Path) -> int:
    return sum(len(d.data) for d in render_derivatives(path))


def run_naive(path: Path) -> int:
    total = 0
    for size in sorted(SIZES, reverse=True):
        with Image.open(path) as img:
            img.load()  # full decode, no draft
            upright = ImageOps.exif_transpose(img)
            upright.thumbnail((size, size), Image.Resampling.LANCZOS)
            for fmt, options in (
                ("JPEG", {"quality": JPEG_QUALITY, "progressive": True, "optimize": True}),
                ("WEBP", {"quality": WEBP_QUALITY, "method": WEBP_METHOD}),
            ):
                buffer = io.BytesIO()
                upright.save(buffer, fmt, **options)
                total += buffer.tell()
    return total


def pyvips_module() -> tuple[Any, str]:
    """(the pyvips module or None, why it is not importable)."""
    try:
        import pyvips
    except (ImportError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    pyvips.cache_set_max(0)  # no operation cache: every repeat does the full work
    return pyvips, ""


def run_pyvips(path: Path) -> int:
    pyvips, _ = pyvips_module()
    total = 0
    image = None
    for size in sorted(SIZES, reverse=True):
        if image is None:
            image = pyvips.Image.thumbnail(str(path), size)  # shrink-on-load + autorotate
        else:
            image = image.thumbnail_image(size)
        image = image.copy_memory()  # materialise once, then encode twice
        total += len(image.jpegsave_buffer(Q=JPEG_QUALITY, interlace=True, optimize_coding=True, keep="none"))
        total += len(image.webpsave_buffer(Q=WEBP_QUALITY, effort=WEBP_METHOD, keep="none"))
    return total


METHODS: dict[str, Method] = {"ours": run_ours, "naive": run_naive, "pyvips": run_pyvips}


# --------------------------------------------------------------------------------------
# Measurement


def cpu_time(method: Method, path: Path) -> tuple[float, int]:
    started = time.process_time()
    produced = method(path)
    return time.process_time() - started, produced


def _peak_rss_kib(field: str = "VmHWM") -> int:
    """This process's peak resident set size in KiB (``field="VmRSS"``: the current one).

    Linux's ``VmHWM`` belongs to the current program image; ``ru_maxrss`` would carry over
    the parent's peak across fork+exec, so it is only the fallback (macOS: bytes).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _child_processes() -> list[str]:
    """The processes this one started (Linux: every thread's ``children``); [] where unknown."""
    found: list[str] = []
    for children in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            found.extend(children.read_text().split())
    return found


def peak_rss_child(method: str, path: str) -> None:
    """Run in a subprocess: print the peak RSS (KiB) before and after one run."""
    if method == "pyvips":
        pyvips_module()
    Image.init()
    baseline = _peak_rss_kib()
    METHODS[method](Path(path))
    print(f"{baseline} {_peak_rss_kib()}")


def measure_rss(method: str, path: Path) -> tuple[float, float] | None:
    completed = subprocess.run(  # our own interpreter and script
        [sys.executable, __file__, "--rss-child", method, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        print(f"  (RSS of {method} failed: {completed.stderr.strip()[-300:]})")
        return None
    baseline, peak = (int(v) for v in completed.stdout.split()[-2:])
    return baseline / 1024, peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=3, help="number of 24 MP photos (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per photo (default 3)")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    parser.add_argument("--keep", type=Path, help="write the photos here and keep them")
    parser.add_argument("--rss-child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--import-photos", type=int, default=8, help="photos per import run (default 8)")
    parser.add_argument("--import-repeats", type=int, default=3, help="import runs per --jobs value (default 3)")
    parser.add_argument("--skip-import", action="store_true", help="skip part 2 (import throughput)")
    parser.add_argument("--skip-render", action="store_true", help="skip part 1 (render CPU time)")
    parser.add_argument("--import-child", nargs=2, metavar=("JOBS", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        peak_rss_child(*args.rss_child)
        return 0
    if args.import_child:
        return import_child(int(args.import_child[0]), Path(args.import_child[1]))
    if args.skip_render:
        return bench_import(args)
    if args.photos < 1 or args.repeats < 1:
        parser.error("--photos and --repeats must be at least 1")

    pyvips, why = pyvips_module()
    methods = ["ours", "naive"] + (["pyvips"] if pyvips is not None else [])
    print(f"Python {sys.version.split()[0]}, Pillow {PIL.__version__}", end="")
    if pyvips is not None:
        libvips = ".".join(str(pyvips.version(i)) for i in range(3))
        print(f", pyvips {pyvips.__version__} / libvips {libvips}")
    else:
        print(f"\npyvips column skipped: pyvips is not importable ({why}); pip install pyvips pyvips-binary")
    print(
        f"CPUs: {os.cpu_count()}; sizes {SIZES} x "
        f"(JPEG q{JPEG_QUALITY} progressive, WebP q{WEBP_QUALITY} m{WEBP_METHOD})"
    )

    with tempfile.TemporaryDirectory(prefix="gallery-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        started = time.perf_counter()
        for index in range(args.photos):
            path = folder / f"photo-{index}.jpg"
            if not path.exists():
                path.write_bytes(make_photo(index, ORIENTATIONS[index % len(ORIENTATIONS)]))
            paths.append(path)
        sizes_mb = [p.stat().st_size / 1e6 for p in paths]
        print(
            f"{len(paths)} photos {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, "
            f"{min(sizes_mb):.1f}-{max(sizes_mb):.1f} MB, made in {time.perf_counter() - started:.1f} s"
        )

        # Warm-up (imports, codec and thread-pool initialisation), not measured; it also
        # records how ours decoded the photo.
        stats = RenderStats()
        render_derivatives(paths[0], stats=stats)
        if "pyvips" in methods:
            run_pyvips(paths[0])

        samples: dict[str, list[float]] = {m: [] for m in methods}
        produced: dict[str, int] = dict.fromkeys(methods, 0)
        for repeat in range(args.repeats):
            for index, path in enumerate(paths):
                rotation = (repeat + index) % len(methods)
                for method in methods[rotation:] + methods[:rotation]:
                    seconds, size = cpu_time(METHODS[method], path)
                    samples[method].append(seconds)
                    produced[method] = size

        rss: dict[str, tuple[float, float] | None] = {}
        if not args.no_rss:
            for method in methods:
                rss[method] = measure_rss(method, paths[0])

    median = {m: statistics.median(v) for m, v in samples.items()}
    print()
    print(
        f"{'method':<8} {'median s':>9} {'min s':>7} {'max s':>7} {'bytes out':>10} {'peak RSS MB':>12} {'+RSS MB':>8}"
    )
    for method in methods:
        values = samples[method]
        peak = rss.get(method)
        peak_text = f"{peak[1]:12.0f} {peak[1] - peak[0]:8.0f}" if peak else f"{'-':>12} {'-':>8}"
        print(
            f"{method:<8} {median[method]:9.3f} {min(values):7.3f} {max(values):7.3f} "
            f"{produced[method]:10d} {peak_text}"
        )
    print()
    print(f"ours: decoded {stats.source_size} at {stats.decode_size} (1/{stats.draft_scale} DCT scale)")
    ratio = median["naive"] / median["ours"]
    print(f"naive/ours  = {ratio:5.2f}  (target >= 2.0) {'OK' if ratio >= 2.0 else 'MISSED'}")
    if "pyvips" in median:
        ratio = median["ours"] / median["pyvips"]
        print(f"ours/pyvips = {ratio:5.2f}  (target <= 1.2) {'OK' if ratio <= 1.2 else 'MISSED'}")
    else:
        print("ours/pyvips = n/a (pyvips not importable)")
    if not args.skip_import:
        print()
        bench_import(args)
    return 0


# --------------------------------------------------------------------------------------
# Part 2: import throughput and memory


def import_child(jobs: int, folder: Path) -> int:
    """Run in a fresh process: import every photo in ``folder`` with ``jobs`` workers
    through the same service ``gallery import`` uses; print the elapsed seconds."""
    with tempfile.TemporaryDirectory(prefix="gallery-import-") as tmp:
        instance = Path(tmp)
        from gallery.app import create_app
        from gallery.catalog import albums
        from gallery.catalog import events as catalog
        from gallery.core.audit import SYSTEM
        from gallery.extensions import db
        from gallery.http import context
        from gallery.photos.batch import collect_files, run_import

        app = create_app(
            {
                "GALLERY_INSTANCE_PATH": str(instance),
                "GALLERY_DATABASE_URL": f"sqlite:///{instance / 'gallery.db'}",
                "GALLERY_STORAGE_URL": (instance / "media").as_uri(),
                "GALLERY_CELERY_BROKER_URL": "",
                "GALLERY_LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            db.create_all()
            event = catalog.create_event(
                db.session,
                title="Bench",
                starts_on="2024-05-07",
                ends_on="2024-05-08",
                timezone="Europe/Brussels",
                actor=SYSTEM,
            )
            album = albums.create_album(db.session, event=event, title="Bench", actor=SYSTEM)
            db.session.commit()
            files = collect_files([folder])
            startup = _peak_rss_kib("VmRSS")
            started = time.perf_counter()
            summary = run_import(
                files,
                album=album,
                actor_user_id=None,
                settings=context.settings(),
                storage=context.storage(),
                context=app.app_context,
                jobs=jobs,
            )
            elapsed = time.perf_counter() - started
            if len(summary.added) != len(files):
                print(f"import failed: {summary.rejected}", file=sys.stderr)
                return 1
        if _child_processes():  # their memory would not be in this process's VmHWM
            print(f"the import started processes {_child_processes()}: peak RSS not measured", file=sys.stderr)
            return 1
        # VmHWM of this process itself: rusage's ru_maxrss would also count the
        # parent's pages at fork time.
        print(f"{elapsed:.6f} {_peak_rss_kib() / 1024:.1f} {startup / 1024:.1f}")
    return 0


def run_import_child(jobs: int, folder: Path) -> tuple[float, float, float]:
    """(seconds, peak RSS MB, RSS MB when the import starts) of one import run in a fresh process."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--import-child", str(jobs), str(folder)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    output, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"import child failed ({proc.returncode}): {output.decode()}")
    seconds, peak, startup = output.decode().strip().splitlines()[-1].split()
    return float(seconds), float(peak), float(startup)


def bench_import(args: argparse.Namespace) -> int:
    count = args.import_photos
    with tempfile.TemporaryDirectory(prefix="gallery-bench-import-") as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for index in range(count):
            (folder / f"IMG_{index:04d}.JPG").write_bytes(
                make_photo(100 + index, ORIENTATIONS[index % len(ORIENTATIONS)])
            )
        total_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(
            f"import: {count} photos {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} ({total_mb:.0f} MB) per run, "
            f"{args.import_repeats} runs per --jobs, alternating"
        )
        times: dict[int, list[float]] = {1: [], 2: []}
        peaks: dict[int, list[float]] = {1: [], 2: []}
        startups: dict[int, list[float]] = {1: [], 2: []}
        for repeat in range(args.import_repeats):
            for jobs in (1, 2) if repeat % 2 == 0 else (2, 1):
                seconds, peak, startup = run_import_child(jobs, folder)
                times[jobs].append(seconds)
                peaks[jobs].append(peak)
                startups[jobs].append(startup)
        print(f"{'jobs':<5} {'median s':>9} {'photos/s':>9} {'s/photo':>8} {'start RSS MB':>13} {'peak RSS MB':>12}")
        rate = {}
        for jobs in (1, 2):
            median = statistics.median(times[jobs])
            rate[jobs] = count / median
            print(
                f"{jobs:<5} {median:9.2f} {rate[jobs]:9.2f} {median / count:8.2f} "
                f"{statistics.median(startups[jobs]):13.0f} {max(peaks[jobs]):12.0f}"
            )
        speedup = rate[2] / rate[1]
        peak = max(max(v) for v in peaks.values())
        print(f"jobs2/jobs1 throughput = {speedup:4.2f}  (target >= 1.7) {'OK' if speedup >= 1.7 else 'MISSED'}")
        print(f"peak RSS while importing = {peak:.0f} MB  (target <= 250) {'OK' if peak <= 250 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
