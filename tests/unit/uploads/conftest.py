"""Fixtures of the uploads unit tests: separate instances (S3 on moto over HTTP, or a folder)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.archive.conftest import archive_schemas, make_instance, moto_endpoint
from tests.storage.s3server import make_s3_storage, moto_env

__all__ = ["archive_schemas", "make_instance", "moto_endpoint", "s3_instance"]


@pytest.fixture
def s3_instance(make_instance: Callable[..., Flask], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An instance whose originals live in a fresh bucket on the moto server."""
    for name, value in moto_env(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    bucket = make_s3_storage(moto_endpoint).bucket
    return make_instance(GALLERY_STORAGE_URL=f"s3://{bucket}/media", GALLERY_S3_ENDPOINT_URL=moto_endpoint)
