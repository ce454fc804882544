"""Fixtures for the storage suite: every backend, with S3 served by moto over real HTTP."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from gallery.storage import LocalStorage, MemoryStorage, S3Storage, Storage
from tests.storage.helpers import PUBLIC_BASE, S3_TEST_PART_SIZE, S3_TEST_THRESHOLD
from tests.storage.s3server import boto3_session, make_s3_storage, moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture(scope="session")
def aws_session() -> boto3.session.Session:
    return boto3_session()


@pytest.fixture(scope="session")
def big_blob() -> bytes:
    """20 MB of incompressible bytes (not a multiple of the part size)."""
    return random.Random(20240507).randbytes(20_000_000)


@pytest.fixture
def local_root(tmp_path: Path) -> Path:
    return tmp_path / "root"


def _make(kind: str, *, local_root: Path, endpoint: str | None, session: Any, public: bool) -> Storage:
    base = PUBLIC_BASE if public else None
    if kind == "local":
        return LocalStorage(local_root, public_base_url=base)
    if kind == "memory":
        return MemoryStorage(public_base_url=base)
    assert endpoint is not None
    return make_s3_storage(
        endpoint,
        prefix="media/v1",
        session=session,
        public_base_url=base,
        multipart_threshold=S3_TEST_THRESHOLD,
        part_size=S3_TEST_PART_SIZE,
    )


@pytest.fixture(params=["local", "s3", "memory"])
def storage(request: pytest.FixtureRequest, local_root: Path, aws_session: boto3.session.Session) -> Storage:
    """One store of each backend (S3: a fresh bucket on the moto server, prefix ``media/v1``)."""
    endpoint = request.getfixturevalue("moto_endpoint") if request.param == "s3" else None
    return _make(request.param, local_root=local_root, endpoint=endpoint, session=aws_session, public=False)


@pytest.fixture(params=["local", "s3", "memory"])
def public_storage(request: pytest.FixtureRequest, local_root: Path, aws_session: boto3.session.Session) -> Storage:
    """Like ``storage``, configured with a public base URL."""
    endpoint = request.getfixturevalue("moto_endpoint") if request.param == "s3" else None
    return _make(request.param, local_root=local_root, endpoint=endpoint, session=aws_session, public=True)


@pytest.fixture
def s3(moto_endpoint: str, aws_session: boto3.session.Session) -> S3Storage:
    """An S3Storage on a fresh moto bucket with prefix ``media`` and 5 MiB multipart settings."""
    return make_s3_storage(
        moto_endpoint,
        prefix="media",
        session=aws_session,
        multipart_threshold=S3_TEST_THRESHOLD,
        part_size=S3_TEST_PART_SIZE,
    )
