"""gallery.storage.s3_client: the client's checksum modes on the wire, the bucket's check and
creation, and botocore failures as messages that say what to do (an endpoint down or hung, a
refusal by the server)."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from gallery.storage import (
    ChecksumMismatch,
    NotFound,
    S3Storage,
    StorageError,
)
from gallery.storage.s3_client import BucketClient, error_code, make_client, utc
from tests.storage.helpers import (
    S3_TEST_PART_SIZE,
    S3_TEST_THRESHOLD,
    b64md5,
    b64sha,
    pending_uploads,
    put_bytes,
    record_requests,
    sha,
)
from tests.storage.s3server import (
    REGION,
    blackhole_endpoint,
    make_s3_storage,
    new_bucket_name,
    unused_endpoint,
)

FAST_FAIL: dict[str, Any] = {"connect_timeout": 1, "read_timeout": 1, "max_attempts": 2}


def _bucket_client(store: S3Storage, *, checksum_when_required: bool = False) -> BucketClient:
    return BucketClient(
        store.client,
        store.bucket,
        connect_timeout=1,
        read_timeout=1,
        max_attempts=2,
        checksum_when_required=checksum_when_required,
    )


def test_the_client_is_bounded_and_path_style_for_an_endpoint(aws_session: boto3.session.Session) -> None:
    client = make_client(
        endpoint_url="http://127.0.0.1:9",
        region_name=REGION,
        connect_timeout=2,
        read_timeout=7,
        max_attempts=3,
        checksum_when_required=True,
        session=aws_session,
    )
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 7)
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert config.s3["addressing_style"] == "path"
    assert config.request_checksum_calculation == "when_required"
    aws = make_client(
        endpoint_url=None,
        region_name=REGION,
        connect_timeout=2,
        read_timeout=7,
        max_attempts=3,
        checksum_when_required=False,
        session=aws_session,
    )
    assert aws.meta.config.s3["addressing_style"] == "auto"
    assert aws.meta.config.request_checksum_calculation == "when_supported"


def test_transport_checksums_follow_the_mode(s3: S3Storage) -> None:
    assert _bucket_client(s3).transport_checksum(b"abc") == {
        "ChecksumAlgorithm": "SHA256",
        "ChecksumSHA256": b64sha(b"abc"),
    }
    assert _bucket_client(s3, checksum_when_required=True).transport_checksum(b"abc") == {"ContentMD5": b64md5(b"abc")}


def test_error_codes_and_times() -> None:
    assert error_code(_client_error("NoSuchKey", "", 404)) == "NoSuchKey"
    assert error_code(ClientError({}, "GetObject")) == ""
    naive = datetime(2024, 5, 7, 10, 0)
    assert utc(naive) == datetime(2024, 5, 7, 10, 0, tzinfo=UTC)
    warsaw = datetime(2024, 5, 7, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc(warsaw) == naive.replace(tzinfo=UTC) and utc(warsaw).tzinfo is UTC


def test_a_missing_key_is_not_found_and_a_missing_bucket_says_so(s3: S3Storage) -> None:
    bucket = _bucket_client(s3)
    missing = _client_error("NoSuchKey", "The specified key does not exist.", 404)
    assert isinstance(bucket.error(missing, "read", "k"), NotFound)
    no_bucket = bucket.error(_client_error("404", "", 404, "HeadBucket"), "access the bucket")
    assert not isinstance(no_bucket, NotFound) and "does not exist" in str(no_bucket)


@pytest.mark.parametrize("size", [0, 100, S3_TEST_THRESHOLD + 100], ids=["empty", "small", "multipart"])
def test_checksum_when_required_mode(
    moto_endpoint: str, aws_session: boto3.session.Session, big_blob: bytes, size: int
) -> None:
    store = make_s3_storage(
        moto_endpoint,
        prefix="m",
        session=aws_session,
        checksum_when_required=True,
        multipart_threshold=S3_TEST_THRESHOLD,
        part_size=S3_TEST_PART_SIZE,
    )
    data = big_blob[:size]
    sent = record_requests(store)
    record = put_bytes(store, "obj", data)
    assert record.sha256 == sha(data) and store.stat("obj").sha256 == sha(data)
    assert b"".join(store.iter_bytes("obj")) == data
    with store.open("obj") as fh:
        assert fh.read() == data

    uploads = [(u, h) for m, u, h in sent if m == "PUT"]
    assert uploads
    for _url, headers in uploads:
        assert not any(name.startswith(("x-amz-checksum-", "x-amz-sdk-checksum", "x-amz-trailer")) for name in headers)
        assert "aws-chunked" not in headers.get("content-encoding", "")
        assert "content-md5" in headers
    if size < S3_TEST_THRESHOLD:
        assert uploads[0][1]["content-md5"] == b64md5(data)
    else:
        assert [h["content-md5"] for u, h in uploads if "partNumber=" in u] == [
            b64md5(data[i : i + S3_TEST_PART_SIZE]) for i in range(0, size, S3_TEST_PART_SIZE)
        ]
    with pytest.raises(ChecksumMismatch):
        store.put("bad", io.BytesIO(data + b"!"), sha256=sha(data), content_type="x/y")
    assert not store.exists("bad") and pending_uploads(store) == []


def test_create_bucket_is_idempotent(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    store = make_s3_storage(moto_endpoint, session=aws_session, create=False)
    with pytest.raises(StorageError, match="does not exist"):
        store.check_bucket()
    with pytest.raises(StorageError, match="does not exist") as info:
        put_bytes(store, "k", b"x")
    assert store.bucket in str(info.value) and moto_endpoint in str(info.value)
    assert store.create_bucket() is True
    assert store.create_bucket() is False
    store.check_bucket()
    put_bytes(store, "k", b"x")


def _every_operation(store: S3Storage) -> list[tuple[str, Any]]:
    return [
        ("put", lambda: put_bytes(store, "k", b"x")),
        ("stat", lambda: store.stat("k")),
        ("exists", lambda: store.exists("k")),
        ("open", lambda: store.open("k")),
        ("iter_bytes", lambda: store.iter_bytes("k")),
        ("delete", lambda: store.delete("k")),
        ("list", lambda: list(store.list())),
        ("create_bucket", store.create_bucket),
        ("abort_stale", lambda: store.abort_stale_multipart_uploads(timedelta(0))),
    ]


def test_endpoint_down_fails_fast_with_a_clear_message(aws_session: boto3.session.Session) -> None:
    with unused_endpoint() as endpoint:
        store = make_s3_storage(endpoint, bucket="photos", session=aws_session, create=False, **FAST_FAIL)
        for name, operation in _every_operation(store):
            started = time.monotonic()
            with pytest.raises(StorageError) as info:
                operation()
            elapsed = time.monotonic() - started
            assert elapsed < 10, f"{name} took {elapsed:.1f} s"
            assert not isinstance(info.value, NotFound)
            message = str(info.value)
            assert endpoint in message and "'photos'" in message, message
            assert "cannot connect" in message, message


def test_hung_endpoint_times_out(aws_session: boto3.session.Session) -> None:
    with blackhole_endpoint() as endpoint:
        settings = {**FAST_FAIL, "read_timeout": 0.5}
        store = make_s3_storage(endpoint, bucket="photos", session=aws_session, create=False, **settings)
        for operation in (lambda: store.stat("k"), lambda: put_bytes(store, "k", b"x")):
            started = time.monotonic()
            with pytest.raises(StorageError) as info:
                operation()
            assert time.monotonic() - started < 10
            assert "did not answer" in str(info.value) and endpoint in str(info.value)


def test_server_errors_are_storage_errors(s3: S3Storage) -> None:
    # A well-formed request the server refuses: read from a bucket we do not have.
    other = make_s3_storage(s3.endpoint_url or "", bucket=new_bucket_name(), create=False, max_attempts=1)
    with pytest.raises(StorageError) as info:
        list(other.list())
    assert not isinstance(info.value, NotFound)
    assert "does not exist" in str(info.value)


def _client_error(code: str, message: str, status: int, operation: str = "GetObject") -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_client_error("AccessDenied", "Access Denied", 403), "access denied"),
        (_client_error("InvalidAccessKeyId", "no such key id", 403), "rejected the credentials"),
        (_client_error("RequestTimeTooSkewed", "skew", 403), "clock"),
        (_client_error("PermanentRedirect", "use eu-west-1", 301), "AWS_REGION"),
        (
            _client_error("BadDigest", "checksum mismatch", 400, "PutObject"),
            "GALLERY_S3_REQUEST_CHECKSUM=when_required",
        ),
        (_client_error("InvalidArgument", "x-amz-checksum-sha256 not supported", 400, "PutObject"), "when_required"),
        (_client_error("InternalError", "We encountered an internal error", 500, "PutObject"), "InternalError"),
        (NoCredentialsError(), "AWS_ACCESS_KEY_ID"),
    ],
    ids=["denied", "bad-key", "clock", "region", "digest", "checksum-header", "internal", "no-credentials"],
)
def test_error_messages_say_what_to_do(s3: S3Storage, error: Exception, expected: str) -> None:
    translated = _bucket_client(s3).error(error, "read", "k")
    assert type(translated) is StorageError
    message = str(translated)
    assert expected in message and s3.bucket in message and str(s3.endpoint_url) in message, message
