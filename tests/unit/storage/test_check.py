"""run_storage_check: green on working stores, red (never raising) on broken ones."""

from __future__ import annotations

import re
import time
from pathlib import Path

import boto3
import pytest

from gallery.storage import (
    LocalStorage,
    MemoryStorage,
    S3Storage,
    Storage,
    StorageError,
    run_storage_check,
)
from tests.storage.s3server import make_s3_storage, unused_endpoint

OK_LINE = re.compile(r"^ok   [a-z]+ +\(\d+ ms\)")


def _run(storage: Storage, **kwargs: bool) -> tuple[bool, list[str]]:
    lines: list[str] = []
    result = run_storage_check(storage, report=lines.append, **kwargs)
    return result, lines


def _steps(lines: list[str]) -> list[str]:
    return [line.split()[1].rstrip(":") for line in lines]


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_green_on_local_and_memory(kind: str, tmp_path: Path) -> None:
    storage: Storage = LocalStorage(tmp_path) if kind == "local" else MemoryStorage()
    ok, lines = _run(storage)
    assert ok, lines
    assert _steps(lines) == ["put", "stat", "get", "range", "list", "url", "delete", "gone"]
    assert all(OK_LINE.match(line) for line in lines), lines
    assert list(storage.list()) == []


def test_green_on_moto_creating_the_bucket(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    storage = make_s3_storage(moto_endpoint, prefix="media", session=aws_session, create=False)
    ok, lines = _run(storage, create_bucket=True)
    assert ok, lines
    assert _steps(lines) == ["bucket", "put", "stat", "get", "range", "list", "url", "delete", "gone"]
    assert all(OK_LINE.match(line) for line in lines), lines
    assert "created" in lines[0] and "signed URL downloaded and verified" in lines[6]
    assert storage.client.list_objects_v2(Bucket=storage.bucket).get("KeyCount") == 0

    ok_again, lines = _run(storage, create_bucket=True)
    assert ok_again and "already exists" in lines[0]


def test_the_bucket_cors_for_the_upload_page_with_the_site_origin(
    moto_endpoint: str, aws_session: boto3.session.Session
) -> None:
    storage = make_s3_storage(moto_endpoint, session=aws_session)
    lines: list[str] = []
    assert not run_storage_check(storage, site_origin="https://gallery.example.org", report=lines.append)
    assert (
        _steps(lines)[:2] == ["bucket", "cors"] and lines[1].startswith("FAIL cors: ") and "put-bucket-cors" in lines[1]
    )
    assert all(OK_LINE.match(line) for line in lines[2:]), lines  # the other steps still run
    rule = {
        "AllowedOrigins": ["https://gallery.example.org"],
        "AllowedMethods": ["GET", "PUT", "POST", "DELETE"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],
    }
    storage.client.put_bucket_cors(Bucket=storage.bucket, CORSConfiguration={"CORSRules": [rule]})
    lines.clear()
    assert run_storage_check(storage, site_origin="https://gallery.example.org", report=lines.append), lines
    assert "may send photos straight to the bucket" in lines[1]


def test_red_on_a_missing_bucket(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    storage = make_s3_storage(moto_endpoint, session=aws_session, create=False)
    ok, lines = _run(storage)
    assert not ok
    assert lines[0].startswith("FAIL bucket: ") and "does not exist" in lines[0] and "--create-bucket" in lines[0]
    assert all(line.startswith("skip ") for line in lines[1:])


def test_red_on_a_stopped_endpoint(aws_session: boto3.session.Session) -> None:
    with unused_endpoint() as endpoint:
        storage = S3Storage(
            "photos",
            endpoint_url=endpoint,
            session=aws_session,
            region_name="us-east-1",
            connect_timeout=1,
            read_timeout=1,
            max_attempts=2,
        )
        started = time.monotonic()
        for create in (False, True):
            ok, lines = _run(storage, create_bucket=create)
            assert not ok
            assert lines[0].startswith("FAIL bucket: ")
            assert endpoint in lines[0] and "cannot connect" in lines[0]
        assert time.monotonic() - started < 15


class _BrokenAfterPut(MemoryStorage):
    """A store whose reads are corrupted and whose first delete fails, to see every red path."""

    def __init__(self) -> None:
        super().__init__()
        self.deletes = 0

    def open(self, key: str):
        raise StorageError("disk read error on sector 7")

    def delete(self, key: str) -> None:
        self.deletes += 1
        if self.deletes == 1:
            raise StorageError("permission denied")
        super().delete(key)

    def stat(self, key: str):
        raise RuntimeError("unexpected bug")


def test_failures_are_reported_and_the_object_is_still_cleaned_up() -> None:
    storage = _BrokenAfterPut()
    ok, lines = _run(storage)
    assert not ok
    assert "FAIL stat: RuntimeError: unexpected bug" in lines
    assert "FAIL get: disk read error on sector 7" in lines
    assert "FAIL delete: permission denied" in lines
    assert "skip gone: delete failed" in lines
    assert storage.deletes == 2  # the final best-effort delete
    assert list(storage.list()) == []
