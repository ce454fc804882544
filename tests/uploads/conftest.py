"""The uploads suite reuses the archive suite's separate instances (``make_instance``)."""

from tests.archive.conftest import archive_schemas, make_instance

__all__ = ["archive_schemas", "make_instance"]
