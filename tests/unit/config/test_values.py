"""gallery/config/values.py, called directly: the core settings' value rules (the scenarios through
load_settings are in test_settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery.config.parsing import ConfigError
from gallery.config.values import (
    WORKER_TIMEOUT_MARGIN,
    parse_database_url,
    parse_sizes,
    parse_storage_url,
    worker_timeout,
)


def test_sizes_are_sorted_and_unique() -> None:
    assert parse_sizes("2048, 400,400,1024") == (400, 1024, 2048)
    assert parse_sizes(None) == (400, 1024, 2048)
    with pytest.raises(ConfigError, match="outside 16-8192"):
        parse_sizes("9000")


def test_database_url_spellings_become_psycopg() -> None:
    assert parse_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert parse_database_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="unsupported database"):
        parse_database_url("mysql://u@h/db")


def test_storage_urls(tmp_path: Path) -> None:
    assert parse_storage_url("s3://gallery-media/p", tmp_path) == "s3://gallery-media/p"
    with pytest.raises(ConfigError, match="not a valid bucket name"):
        parse_storage_url("s3://Bad_Bucket", tmp_path)
    with pytest.raises(ConfigError, match="unsupported storage URL scheme"):
        parse_storage_url("ftp://x/y", tmp_path)


def test_worker_timeout_is_the_storage_budget_plus_margin() -> None:
    assert worker_timeout({"GALLERY_S3_TOTAL_TIMEOUT": "40"}) == 40 + WORKER_TIMEOUT_MARGIN
