"""A real S3 endpoint for tests: moto's ThreadedMotoServer on 127.0.0.1 over HTTP, on a free port.

Nothing is patched: boto3 talks HTTP to the server exactly as it would to MinIO or AWS. Reuse it from
any test suite::

    from tests.storage.s3server import moto_server, moto_env, make_s3_storage

    @pytest.fixture(scope="session")
    def s3_endpoint():
        with moto_server() as endpoint_url:      # e.g. "http://127.0.0.1:41234"
            yield endpoint_url

    def test_app_on_s3(s3_endpoint, monkeypatch):
        for name, value in moto_env(s3_endpoint).items():   # dummy AWS_* + GALLERY_S3_ENDPOINT_URL
            monkeypatch.setenv(name, value)
        storage = make_s3_storage(s3_endpoint)              # fresh bucket, already created
        monkeypatch.setenv("GALLERY_STORAGE_URL", f"s3://{storage.bucket}/media")
        ...

All servers in one process share moto's in-memory state, so give every test its own bucket
(``new_bucket_name()``; ``make_s3_storage`` does). The helpers never read the caller's AWS
configuration: credentials and region are dummies passed explicitly.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from gallery.storage import S3Storage

__all__ = [
    "DUMMY_ACCESS_KEY_ID",
    "DUMMY_SECRET_ACCESS_KEY",
    "REGION",
    "blackhole_endpoint",
    "boto3_session",
    "make_s3_storage",
    "moto_env",
    "moto_server",
    "new_bucket_name",
    "unused_endpoint",
]

DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"
REGION = "us-east-1"


@contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto S3 server on 127.0.0.1 (a free port chosen by the OS); yield its endpoint URL."""
    request_log = logging.getLogger("werkzeug")  # moto's server logs every request at INFO
    previous_level = request_log.level
    request_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        request_log.setLevel(previous_level)


def boto3_session() -> boto3.session.Session:
    """A boto3 session with dummy credentials and region, independent of the environment."""
    return boto3.session.Session(
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        region_name=REGION,
    )


def moto_env(endpoint_url: str) -> dict[str, str]:
    """Environment variables that point the app (config.py, boto3) at the moto server."""
    return {
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "GALLERY_S3_ENDPOINT_URL": endpoint_url,
    }


def new_bucket_name() -> str:
    return f"test-{uuid.uuid4().hex[:24]}"


def make_s3_storage(
    endpoint_url: str,
    bucket: str | None = None,
    prefix: str = "",
    *,
    create: bool = True,
    session: boto3.session.Session | None = None,
    **kwargs: Any,
) -> S3Storage:
    """An S3Storage on the moto server (a new bucket unless ``bucket`` is given), created if ``create``."""
    storage = S3Storage(
        bucket or new_bucket_name(),
        prefix,
        endpoint_url=endpoint_url,
        region_name=REGION,
        session=session or boto3_session(),
        **kwargs,
    )
    if create:
        storage.create_bucket()
    return storage


@contextmanager
def unused_endpoint() -> Iterator[str]:
    """An http:// endpoint on 127.0.0.1 where nothing listens (connections are refused at once).

    The port stays bound (without listen()) for the duration, so nobody else can take it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextmanager
def blackhole_endpoint() -> Iterator[str]:
    """An http:// endpoint that accepts TCP connections but never answers (a hung server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
