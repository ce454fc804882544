"""The only place that picks a storage backend: from ``GALLERY_STORAGE_URL`` and the S3 settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from gallery.config import ConfigError, Settings
from gallery.storage.base import Storage
from gallery.storage.local import LocalStorage


def build_storage(settings: Settings) -> Storage:
    """``file:///path`` → :class:`LocalStorage`, ``s3://bucket/prefix`` → ``S3Storage`` (boto3 is
    imported only then); any other scheme is a :class:`ConfigError`."""
    parts = urlsplit(settings.storage_url)
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)), public_base_url=settings.public_media_url)
    if parts.scheme == "s3":
        from gallery.storage.s3 import S3Storage

        return S3Storage(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            public_base_url=settings.public_media_url,
            connect_timeout=settings.s3_connect_timeout,
            read_timeout=settings.s3_read_timeout,
            max_attempts=settings.s3_max_attempts,
            checksum_when_required=settings.s3_checksum_mode == "when_required",
        )
    raise ConfigError(f"unsupported storage URL scheme {parts.scheme!r}: use file:// or s3://")
