"""Blob storage for originals and derivatives: one contract, three backends.

``LocalStorage`` (a folder, the embedded default), ``S3Storage`` (any S3-compatible store through
boto3) and ``MemoryStorage`` (tests) implement the :class:`Storage` protocol defined in
:mod:`gallery.storage.base`. Choosing a backend from configuration is the app factory's job
(``gallery/app.py``), not this package's.
"""

from gallery.storage.base import (
    MAX_KEY_LENGTH,
    ByteChunks,
    ChecksumMismatch,
    InvalidKey,
    NotFound,
    Storage,
    StorageError,
    StoredObject,
    content_disposition,
    normalize_sha256,
    sha256_hex,
    validate_key,
    validate_range,
)
from gallery.storage.check import run_storage_check
from gallery.storage.local import LocalStorage
from gallery.storage.memory import MemoryStorage


def __getattr__(name: str) -> object:
    # boto3 costs ~25 MB of memory and a noticeable start-up time: it is imported
    # only when an S3 store is actually used.
    if name == "S3Storage":
        from gallery.storage.s3 import S3Storage

        return S3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_KEY_LENGTH",
    "ByteChunks",
    "ChecksumMismatch",
    "InvalidKey",
    "LocalStorage",
    "MemoryStorage",
    "NotFound",
    "S3Storage",
    "Storage",
    "StorageError",
    "StoredObject",
    "content_disposition",
    "normalize_sha256",
    "run_storage_check",
    "sha256_hex",
    "validate_key",
    "validate_range",
]
