"""Album ZIP benchmark: peak memory and throughput of ``GET /albums/<album>/download.zip``.

Not a test.  Builds an album of ``--photos`` JPEG originals of about ``--mb`` MB each (default
100 x 10 MB, about 1 GB) straight into a ``file://`` store and an SQLite database in a temporary
folder (one real JPEG is encoded once; each photo is that JPEG with a unique comment and GPS
EXIF, so every original is a distinct, valid, location-carrying JPEG).  Then it starts the real
application under Werkzeug's HTTP server in a subprocess, downloads the ZIP with a client that
reads and discards the body, and reports for each download mode:

* the server process's resident memory once warmed up, and its peak while it streams the ZIP
  (``VmHWM`` from ``/proc/<pid>/status``, reset through ``/proc/<pid>/clear_refs`` after warm-up,
  so transient start-up allocations are reported separately; the server is restarted for each
  mode);
* bytes received, ``Content-Length`` (when the mode allows one), time and throughput;
* a check of the ZIP's end records (entry count) on the received tail.

Target: peak RSS <= 150 MB while streaming about 1 GB.

Usage::

    python bench/zip_memory.py [--photos 100] [--mb 10] [--modes exact,without_location] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MB = 150
ALBUM = "bench-album"


def environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GALLERY_ENV": "development",
        "GALLERY_INSTANCE_PATH": str(folder / "instance"),
        "GALLERY_DATABASE_URL": f"sqlite:///{folder / 'gallery.db'}",
        "GALLERY_STORAGE_URL": (folder / "media").as_uri(),
        "GALLERY_SECRET_KEY": "bench-" + "x" * 40,
        "GALLERY_CELERY_BROKER_URL": "",
        "GALLERY_RATELIMIT_STORAGE_URL": "memory://",
        "GALLERY_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


# --------------------------------------------------------------------------------------
# Building the album


def base_jpeg(megabytes: float) -> bytes:
    """One photo-like JPEG of roughly ``megabytes`` MB (smooth shapes plus sensor-like noise)."""
    from PIL import Image

    rng = random.Random(20240507)
    pixels = int(megabytes * 1_000_000 / 0.85)  # about 0.85 bytes per pixel at q95 with this noise
    width = int((pixels * 3 / 2) ** 0.5)
    height = width * 2 // 3
    smooth = Image.frombytes("RGB", (width // 16, height // 16), rng.randbytes(width // 16 * height // 16 * 3))
    smooth = smooth.resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    Image.blend(smooth, noise, 0.35).save(out, "JPEG", quality=95)
    return out.getvalue()


def gps_exif(index: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Bench"
    exif.get_ifd(0x8769)[0x9003] = f"2024:05:07 {9 + index // 60:02d}:{index % 60:02d}:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (50.0, 50.0, float(index % 60)), 3: "E", 4: (4.0, 21.0, 0.0)})
    payload = exif.tobytes()
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def variant(base: bytes, index: int) -> bytes:
    """``base`` with GPS EXIF and a unique comment right after SOI: distinct bytes, same picture."""
    comment = f"bench photo {index}".encode()
    com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return base[:2] + gps_exif(index) + com + base[2:]


def build(folder: Path, photos: int, megabytes: float) -> int:
    """Originals into storage, rows into the database; returns the total size of the originals."""
    from datetime import datetime

    from gallery.app import create_app
    from gallery.catalog import albums
    from gallery.catalog import events as catalog
    from gallery.core.audit import SYSTEM
    from gallery.extensions import db
    from gallery.media.derivatives import derivative_key, original_key
    from gallery.models import (
        Derivative,
        OriginalDownloads,
        Photo,
        PhotoStatus,
        TakenAtSource,
    )
    from gallery.storage import sha256_hex

    app = create_app({k: v for k, v in environment(folder).items() if k.startswith("GALLERY_")})
    storage = app.extensions["gallery_storage"]
    base = base_jpeg(megabytes)
    small = base_jpeg(0.05)
    total = 0
    with app.app_context():
        db.create_all()
        event = catalog.create_event(
            db.session,
            slug="bench",
            title="Bench",
            starts_on="2024-05-07",
            ends_on="2024-05-07",
            timezone="Europe/Brussels",
            actor=SYSTEM,
        )
        album = albums.create_album(
            db.session, event=event, slug=ALBUM, title="Bench", original_downloads=OriginalDownloads.exact, actor=SYSTEM
        )
        db.session.flush()
        for i in range(photos):
            data = variant(base, i)
            sha = hashlib.sha256(data).hexdigest()
            key = original_key(sha)
            storage.put(key, io.BytesIO(data), sha256=sha, content_type="image/jpeg", size=len(data))
            web_key = derivative_key(sha, 400, "jpeg")
            storage.put(web_key, io.BytesIO(small), sha256=sha256_hex(small), content_type="image/jpeg")
            photo = Photo(
                album_id=album.id,
                sha256=sha,
                original_key=key,
                original_filename=f"IMG_{i:04d}.jpg",
                content_type="image/jpeg",
                size=len(data),
                width=4000,
                height=3000,
                taken_at=datetime(2024, 5, 7, 7, 0, tzinfo=UTC),
                taken_at_offset_minutes=120,
                taken_at_source=TakenAtSource.exif_original,
                caption=f"Photo {i}",
                status=PhotoStatus.ready,
            )
            db.session.add(photo)
            db.session.flush()
            db.session.add(
                Derivative(photo_id=photo.id, width=400, height=300, format="jpeg", key=web_key, size=len(small))
            )
            total += len(data)
        db.session.commit()
    return total


def set_mode(folder: Path, mode: str) -> None:
    import sqlite3

    with sqlite3.connect(folder / "gallery.db") as conn:
        conn.execute("UPDATE albums SET original_downloads = ? WHERE slug = ?", (mode, ALBUM))


# --------------------------------------------------------------------------------------
# Serving and downloading


def serve() -> None:
    """Subprocess entry point: the real app under Werkzeug's HTTP server on a free port."""
    import logging

    from werkzeug.serving import make_server

    from gallery.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    app = create_app({k: v for k, v in os.environ.items() if k.startswith("GALLERY_")})
    server = make_server("127.0.0.1", 0, app, threaded=False)
    print(server.server_port, flush=True)
    server.serve_forever()


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux >= 4.0: ``5`` > clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def eocd_entries(tail: bytes) -> int:
    """Number of entries from the ZIP's end records (ZIP64 when present)."""
    at = tail.rfind(b"PK\x05\x06")
    if at < 0:
        raise ValueError("no end-of-central-directory record")
    (count,) = struct.unpack_from("<H", tail, at + 10)
    zip64 = tail.rfind(b"PK\x06\x06", 0, at)
    if zip64 >= 0:
        (count,) = struct.unpack_from("<Q", tail, zip64 + 32)
    return int(count)


def download(port: int, path: str) -> tuple[int, int | None, float, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"GET {path}: HTTP {response.status}: {response.read(500)!r}")
    length = response.getheader("Content-Length")
    received = 0
    tail = b""
    while chunk := response.read(1 << 20):
        received += len(chunk)
        tail = (tail + chunk)[-(1 << 16) :]
    elapsed = time.perf_counter() - started
    conn.close()
    return received, int(length) if length else None, elapsed, tail


def run_mode(folder: Path, mode: str, photos: int) -> dict[str, float]:
    set_mode(folder, mode)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], env=environment(folder), stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        # Warm up (imports, first request, database connection) with a small request.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        conn.close()
        before = memory_kb(server.pid)
        if not reset_peak(server.pid):
            raise SystemExit("cannot reset VmHWM through /proc/<pid>/clear_refs; run as the same user on Linux >= 4.0")
        received, length, elapsed, tail = download(port, f"/albums/{ALBUM}/download.zip")
        after = memory_kb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    entries = eocd_entries(tail)
    if entries != photos + 1:
        raise SystemExit(f"{mode}: the ZIP lists {entries} entries, expected {photos + 1}")
    if length is not None and length != received:
        raise SystemExit(f"{mode}: Content-Length {length} but {received} bytes received")
    return {
        "rss_before_mb": before["VmRSS"] / 1024,
        "startup_peak_mb": before["VmHWM"] / 1024,
        "peak_mb": after["VmHWM"] / 1024,
        "received_mb": received / 1e6,
        "content_length": float(length or 0),
        "seconds": elapsed,
        "mb_per_s": received / 1e6 / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--mb", type=float, default=10.0, help="approximate size of each original")
    parser.add_argument("--modes", default="exact,without_location,off")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gallery-zip-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        total = build(folder, args.photos, args.mb)
        print(
            f"album: {args.photos} originals, {total / 1e6:.0f} MB in {folder} "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        print(
            f"{'mode':<18}{'RSS idle':>10}{'peak during ZIP':>17}{'received':>10}"
            f"{'Content-Length':>16}{'time':>8}{'MB/s':>7}"
        )
        worst = startup = 0.0
        for mode in args.modes.split(","):
            r = run_mode(folder, mode, args.photos)
            worst = max(worst, r["peak_mb"])
            length = f"{r['content_length'] / 1e6:.0f} MB" if r["content_length"] else "chunked"
            startup = max(startup, r["startup_peak_mb"])
            print(
                f"{mode:<18}{r['rss_before_mb']:>7.1f} MB{r['peak_mb']:>14.1f} MB{r['received_mb']:>7.0f} MB"
                f"{length:>16}{r['seconds']:>7.1f}s{r['mb_per_s']:>7.0f}"
            )
        verdict = "OK" if worst <= TARGET_MB else "OVER TARGET"
        print(f"peak server RSS while streaming a ZIP: {worst:.1f} MB (target <= {TARGET_MB} MB): {verdict}")
        print(
            f"(the server's lifetime peak before the downloads, start-up included: {startup:.1f} MB; VmHWM is "
            "reset after warm-up so the figures above are each download's own)"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
