"""Fault-injection helpers: a TCP proxy that can be cut mid-transfer, a private Redis database,
and subprocesses (ingest, Celery workers) that a test kills with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import redis

PROJECT = Path(__file__).resolve().parents[2]


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 in front of ``upstream`` (``http://host:port``).

    ``cut_after(n)``: as soon as one connection has sent more than ``n`` bytes upstream, the
    proxy stops: every connection is reset and nothing listens any more (connection refused),
    like an S3 endpoint that dies in the middle of an upload.  ``start()`` brings it back on
    the same port."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._cut_after: int | None = None
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.cuts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_after(self, n: int | None) -> None:
        self._cut_after = n

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                sent += len(data)
                limit = self._cut_after
                if outbound and limit is not None and sent > limit:
                    self.cuts += 1
                    self._cut_after = None
                    self.stop()
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def private_redis_db(url: str = "redis://127.0.0.1:6379") -> Iterator[str]:
    """An empty Redis database number, claimed for this test and emptied afterwards."""
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{url}/{number}")
        try:
            if not client.set("gallery-test:claim", token, nx=True, ex=600):
                continue
            if client.dbsize() != 1:  # someone else's data: leave it alone
                client.delete("gallery-test:claim")
                continue
        except redis.RedisError:
            continue
        try:
            yield f"{url}/{number}"
        finally:
            with contextlib.suppress(redis.RedisError):
                if client.get("gallery-test:claim") == token.encode():
                    client.flushdb()
            client.close()
        return
    raise RuntimeError("no free Redis database number (1-15) for the test")


class Child:
    """A subprocess in its own process group, with its output collected in the background."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            args,
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, needle: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in self.lines):
                return True
            if self.proc.poll() is not None:
                return any(needle in line for line in self.lines)
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL the whole process group (a worker and its pool children)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def child_env(**gallery: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(gallery)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def celery_worker(env: dict[str, str]) -> Child:
    celery = str(Path(sys.executable).with_name("celery"))
    return Child(
        [
            # `-A wsgi` alone finds wsgi.app (the Flask app) before wsgi.celery: name the Celery app.
            celery,
            "-A",
            "wsgi:celery",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "-Q",
            "gallery",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        env,
    )


# Runs the real upload path (the API, through create_app) in a child process and stops, for a
# SIGKILL, right after the first object under a prefix reached the store: "originals/" (before
# the row is committed) or "derivatives/" (the row is committed, its derivative work dies).
_KILL_AFTER_PUT = r"""
import io, os, sys, time
from pathlib import Path
from gallery.app import create_app

app = create_app()
storage = app.extensions["gallery_storage"]
real_put = storage.put

def put(key, stream, **kwargs):
    result = real_put(key, stream, **kwargs)
    if key.startswith(PREFIX):
        Path(os.environ["KILL_MARKER"]).write_text(key)
        time.sleep(120)  # the test kills us here
    return result

storage.put = put
data = Path(sys.argv[1]).read_bytes()
response = app.test_client().post(
    f"/api/v1/albums/{sys.argv[2]}/photos",
    data={"file": (io.BytesIO(data), "killed.jpg")},
    headers={"Authorization": f"Bearer {sys.argv[3]}"},
    content_type="multipart/form-data",
)
print("finished", response.status_code)
"""


def kill_after_put(prefix: str) -> str:
    """The child script of :data:`_KILL_AFTER_PUT` for objects under ``prefix``."""
    return _KILL_AFTER_PUT.replace("PREFIX", repr(prefix))


KILL_AFTER_STORE = kill_after_put("originals/")
