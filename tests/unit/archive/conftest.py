"""The archive suite's fixtures (an album, separate instances, S3 on moto) for the unit tests of gallery/archive."""

from __future__ import annotations

from tests.archive.conftest import album, archive_schemas, make_instance, moto_endpoint

__all__ = ["album", "archive_schemas", "make_instance", "moto_endpoint"]
