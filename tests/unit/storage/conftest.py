"""The storage suite's fixtures (every backend, S3 served by moto over real HTTP) for the unit tests
of gallery/storage."""

from __future__ import annotations

from tests.storage.conftest import aws_session, big_blob, local_root, moto_endpoint, public_storage, s3, storage

__all__ = ["aws_session", "big_blob", "local_root", "moto_endpoint", "public_storage", "s3", "storage"]
