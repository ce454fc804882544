"""Real server processes for memory tests: the embedded default (a threaded werkzeug server, eager
derivatives in-process) and gunicorn with several workers, on loopback, started as children.

The instance (SQLite database, user, token, album) is prepared in the test process first; the
children get the same ``GALLERY_*`` environment.  Memory is read from ``/proc/<pid>/status``."""

from __future__ import annotations

import contextlib
import re
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from gallery.accounts import users as accounts
from gallery.app import create_app
from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Role
from tests.archive.faults import Child, child_env

# The embedded default: `flask run` is a threaded werkzeug server; this is the same server.
WERKZEUG_SERVER = r"""
import sys
from werkzeug.serving import make_server
from gallery.app import create_app

server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print("listening on", server.server_port, flush=True)
server.serve_forever()
"""


@dataclass(frozen=True)
class Instance:
    env: dict[str, str]
    token: str
    album: str


def prepare_instance(folder: Path, **gallery: str) -> Instance:
    """An instance folder with a SQLite database, an editor token and an album."""
    env = {
        "GALLERY_ENV": "testing",
        "GALLERY_INSTANCE_PATH": str(folder / "instance"),
        "GALLERY_DATABASE_URL": f"sqlite:///{folder / 'gallery.db'}",
        "GALLERY_STORAGE_URL": (folder / "media").as_uri(),
        "GALLERY_SECRET_KEY": "memory-test-secret-" + "x" * 32,
        "GALLERY_CELERY_BROKER_URL": "",
        "GALLERY_RATELIMIT_STORAGE_URL": "memory://",
        "GALLERY_LOG_LEVEL": "WARNING",
        **gallery,
    }
    app = create_app(env)
    with app.app_context():
        db.create_all()
        user = accounts.create_user(
            db.session, email="editor@example.org", role=Role.editor, password=None, actor=SYSTEM
        )
        db.session.commit()
        token = accounts.create_token(db.session, user=user, name="memory", actor=SYSTEM).secret
        event = catalog.create_event(
            db.session,
            slug="memory-event",
            title="Memory Days",
            starts_on="2024-05-07",
            ends_on="2024-05-08",
            timezone="Europe/Warsaw",
            actor=SYSTEM,
        )
        albums.create_album(db.session, event=event, slug="memory", title="Memory", actor=SYSTEM)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return Instance({k: v for k, v in env.items() if v != ""}, token, "memory")


@contextlib.contextmanager
def werkzeug_server(instance: Instance) -> Iterator[tuple[int, str]]:
    """(pid of the server process, base URL)."""
    child = Child([sys.executable, "-c", WERKZEUG_SERVER], child_env(**instance.env))
    try:
        if not child.wait_for("listening on", 60):
            raise RuntimeError(f"server did not start:\n{child.output}")
        port = int(next(line for line in child.lines if "listening on" in line).split()[-1])
        yield child.proc.pid, f"http://127.0.0.1:{port}"
    finally:
        child.stop()


@contextlib.contextmanager
def gunicorn_server(instance: Instance, *, workers: int, threads: int) -> Iterator[tuple[list[int], str]]:
    """gunicorn ``wsgi:app`` with ``workers`` gthread workers: (worker pids, base URL)."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    child = Child(
        [gunicorn, "-w", str(workers), "--threads", str(threads), "-b", "127.0.0.1:0", "--timeout", "120", "wsgi:app"],
        child_env(**instance.env),
    )
    try:
        if not child.wait_for("Listening at:", 60):
            raise RuntimeError(f"gunicorn did not start:\n{child.output}")
        line = next(line for line in child.lines if "Listening at:" in line)
        url = re.search(r"http://[\d.]+:\d+", line).group(0)  # type: ignore[union-attr]
        deadline = time.monotonic() + 60
        pids: list[int] = []
        while time.monotonic() < deadline:
            pids = children_of(child.proc.pid)
            if len(pids) == workers and sum("Booting worker" in entry for entry in child.lines) >= workers:
                break
            time.sleep(0.1)
        assert len(pids) == workers, child.output
        ready_deadline = time.monotonic() + 60
        while time.monotonic() < ready_deadline:  # every worker has imported the app
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            time.sleep(0.2)
        yield pids, url
    finally:
        child.stop()


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return sorted(found)


def memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS (resident now) of a process, in kB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0])
    return values


def settled_rss_kb(pid: int, *, seconds: float = 10.0) -> int:
    """The lowest resident set seen while polling for ``seconds`` (memory given back settles)."""
    lowest = memory_kb(pid)["VmRSS"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.25)
        lowest = min(lowest, memory_kb(pid)["VmRSS"])
    return lowest


def with_text_chunk(png: bytes, text: str) -> bytes:
    """The same PNG (same pixels) with a tEXt chunk before IEND: other bytes, another hash."""
    body = b"Comment\x00" + text.encode("latin-1")
    chunk = len(body).to_bytes(4, "big") + b"tEXt" + body + zlib.crc32(b"tEXt" + body).to_bytes(4, "big")
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def post_photo(
    base_url: str, instance: Instance, data: bytes, filename: str, timeout: float = 120
) -> tuple[int, dict[str, str], dict, float]:
    """(status, headers, JSON body, seconds) of one API upload."""
    started = time.monotonic()
    response = requests.post(
        f"{base_url}/api/v1/albums/{instance.album}/photos",
        files={"file": (filename, data, "application/octet-stream")},
        headers={"Authorization": f"Bearer {instance.token}"},
        timeout=timeout,
    )
    elapsed = time.monotonic() - started
    try:
        body = response.json()
    except ValueError:
        body = {"raw": response.text[:500]}
    return response.status_code, dict(response.headers), body, elapsed
