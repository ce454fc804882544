"""Picking the storage backend from GALLERY_STORAGE_URL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gallery.config import ConfigError, Settings, load_settings
from gallery.storage import LocalStorage
from gallery.storage.factory import build_storage


def _settings(tmp_path: Path, storage_url: str, **more: str) -> Settings:
    env = {"GALLERY_ENV": "testing", "GALLERY_INSTANCE_PATH": str(tmp_path), "GALLERY_STORAGE_URL": storage_url}
    return load_settings({**env, **more})


def test_a_file_url_is_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "media with space"
    storage = build_storage(_settings(tmp_path, folder.as_uri(), GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org"))
    assert isinstance(storage, LocalStorage)
    assert storage.root == folder
    assert storage.public_base_url == "https://cdn.example.org"


def test_an_s3_url_is_a_bucket_and_prefix(tmp_path: Path) -> None:
    from gallery.storage.s3 import S3Storage

    settings = _settings(tmp_path, "s3://photos/archive/2024", GALLERY_S3_ENDPOINT_URL="http://127.0.0.1:9")
    storage = build_storage(settings)
    assert isinstance(storage, S3Storage)
    assert storage.describe() == "s3://photos/archive/2024 at http://127.0.0.1:9"


def test_another_scheme_is_a_configuration_error(tmp_path: Path) -> None:
    settings = dataclasses.replace(_settings(tmp_path, (tmp_path / "m").as_uri()), storage_url="ftp://host/x")
    with pytest.raises(ConfigError, match="unsupported storage URL scheme 'ftp': use file:// or s3://"):
        build_storage(settings)
