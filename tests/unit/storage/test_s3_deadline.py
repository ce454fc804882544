"""The request's storage time budget applied to the S3 client (gallery/storage/s3_deadline.py), over real HTTP:
a hung endpoint (accepts connections, never answers) and an endpoint whose body stalls."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import boto3
import pytest

from gallery.storage import StorageError, deadline
from tests.storage.helpers import put_bytes
from tests.storage.s3server import blackhole_endpoint, make_s3_storage

SLACK = 0.75  # scheduling on a shared machine; far below what one more attempt would take


@pytest.fixture(autouse=True)
def _no_budget_left_behind() -> Iterator[None]:
    yield
    deadline.stop()


@contextlib.contextmanager
def stalling_body_endpoint(header_delay: float) -> Iterator[str]:
    """An HTTP server that answers every request after ``header_delay`` seconds with a 200 for
    a 1 MB body, sends its first 10 bytes, and then nothing (a store stuck mid-download)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    open_sockets: list[socket.socket] = []
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.recv(65536)
            time.sleep(header_delay)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 10)
            stop.wait(60)  # and never another byte

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            open_sockets.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        for conn in open_sockets:
            conn.close()


def test_retries_stop_when_the_budget_is_spent(aws_session: boto3.session.Session) -> None:
    with blackhole_endpoint() as endpoint:
        store = make_s3_storage(
            endpoint,
            bucket="photos",
            session=aws_session,
            create=False,
            connect_timeout=0.5,
            read_timeout=1,
            max_attempts=6,
        )
        # Without a budget: every attempt waits its read timeout (plus botocore's pauses).
        started = time.monotonic()
        with pytest.raises(StorageError):
            make_s3_storage(
                endpoint,
                bucket="photos",
                session=aws_session,
                create=False,
                connect_timeout=0.5,
                read_timeout=1,
                max_attempts=3,
            ).stat("k")
        assert time.monotonic() - started >= 3.0
        # With a budget of 2.2 s the six attempts (6 s and more) stop when the time is spent.
        for operation in (lambda: store.stat("k"), lambda: put_bytes(store, "k", b"x"), lambda: list(store.list())):
            deadline.start(2.2)
            started = time.monotonic()
            with pytest.raises(StorageError) as info:
                operation()
            elapsed = time.monotonic() - started
            assert elapsed < 2.2 + SLACK, f"{elapsed:.2f} s"
            message = str(info.value)
            assert endpoint in message and "GALLERY_S3_TOTAL_TIMEOUT" in message, message
            deadline.stop()


def test_a_stalled_body_read_counts_too(aws_session: boto3.session.Session) -> None:
    """Headers come after 1.5 s, then the body stops: every read may wait only what is left of
    the budget (2.5 s in all), not a fresh read timeout (2 s) of its own."""
    with stalling_body_endpoint(header_delay=1.5) as endpoint:
        store = make_s3_storage(
            endpoint,
            bucket="photos",
            session=aws_session,
            create=False,
            connect_timeout=0.5,
            read_timeout=2,
            max_attempts=1,
        )
        reads = {
            "open": lambda: store.open("originals/a.jpg").read(),
            "iter_bytes": lambda: b"".join(store.iter_bytes("originals/a.jpg", chunk_size=4096)),
        }
        for name, read in reads.items():
            deadline.start(2.5)
            started = time.monotonic()
            with pytest.raises(StorageError) as info:
                read()
            elapsed = time.monotonic() - started
            assert 1.5 <= elapsed < 2.5 + SLACK, f"{name}: {elapsed:.2f} s"
            assert endpoint in str(info.value), str(info.value)
            deadline.stop()
