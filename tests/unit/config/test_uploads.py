"""gallery/config/uploads.py: the resumable-upload spool and expiry."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery.config.parsing import ConfigError
from gallery.config.uploads import load


def test_defaults_and_spool(tmp_path: Path) -> None:
    assert load({}).spool is None and load({}).expiry_hours == 24
    assert load({"GALLERY_UPLOAD_SPOOL": str(tmp_path)}).spool == tmp_path.resolve()


def test_expiry_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="GALLERY_UPLOAD_EXPIRY_HOURS"):
        load({"GALLERY_UPLOAD_EXPIRY_HOURS": "0"})


def test_the_spool_in_the_bucket_needs_s3_storage() -> None:
    settings = load({"GALLERY_UPLOAD_SPOOL": "S3"}, storage_scheme="s3")
    assert settings.spool_in_s3 and settings.spool is None
    assert settings.describe()["GALLERY_UPLOAD_SPOOL"] == "s3"
    assert not load({}).spool_in_s3
    with pytest.raises(ConfigError, match="GALLERY_UPLOAD_SPOOL=s3"):
        load({"GALLERY_UPLOAD_SPOOL": "s3"}, storage_scheme="file")
