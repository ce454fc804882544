"""S3-specific behaviour: checksums on the wire, multipart cleanup, faults, prefixes, administration."""

from __future__ import annotations

import base64
import hashlib
import io
import time
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from gallery.storage import (
    ChecksumMismatch,
    InvalidKey,
    NotFound,
    S3Storage,
    StorageError,
)
from tests.storage.helpers import (
    S3_TEST_PART_SIZE,
    S3_TEST_THRESHOLD,
    FailingStream,
    all_bucket_keys,
    pending_uploads,
    put_bytes,
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


def _record_requests(storage: S3Storage) -> list[tuple[str, str, dict[str, str]]]:
    """Spy on the HTTP requests the client sends, through botocore's event system."""
    sent: list[tuple[str, str, dict[str, str]]] = []

    def on_send(request: Any, **_: Any) -> None:
        headers = {k.lower(): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()}
        sent.append((request.method, request.url, headers))

    storage.client.meta.events.register("before-send.s3", on_send)
    return sent


def _b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_small_put_sends_sha256_checksum_and_metadata(s3: S3Storage) -> None:
    sent = _record_requests(s3)
    put_bytes(s3, "k.jpg", b"jpeg bytes", content_type="image/jpeg")
    method, url, headers = sent[0]
    assert method == "PUT" and url.endswith(f"/{s3.bucket}/media/k.jpg")
    assert headers["x-amz-checksum-sha256"] == _b64sha(b"jpeg bytes")
    assert headers["x-amz-meta-sha256"] == sha(b"jpeg bytes")
    assert headers["content-type"] == "image/jpeg"
    assert "x-amz-checksum-crc32" not in headers


def test_multipart_parts_carry_sha256_checksums(s3: S3Storage, big_blob: bytes) -> None:
    data = big_blob[: S3_TEST_THRESHOLD + 123]
    sent = _record_requests(s3)
    put_bytes(s3, "big", data)
    part_requests = [h for m, u, h in sent if m == "PUT" and "partNumber=" in u]
    assert [h["x-amz-checksum-sha256"] for h in part_requests] == [
        _b64sha(data[:S3_TEST_PART_SIZE]),
        _b64sha(data[S3_TEST_PART_SIZE:]),
    ]
    assert b"".join(s3.iter_bytes("big")) == data
    assert s3.stat("big").sha256 == sha(data)


def test_upload_exactly_at_threshold_is_multipart(s3: S3Storage, big_blob: bytes) -> None:
    data = big_blob[:S3_TEST_THRESHOLD]
    sent = _record_requests(s3)
    put_bytes(s3, "edge", data)
    assert sum(1 for m, u, _ in sent if m == "PUT" and "partNumber=" in u) == 1
    assert b"".join(s3.iter_bytes("edge")) == data


@pytest.mark.parametrize("size", [0, 100, S3_TEST_THRESHOLD + 100], ids=["empty", "small", "multipart"])
def test_checksum_when_required_mode(moto_endpoint: str, aws_session: boto3.session.Session, big_blob: bytes, size: int) -> None:
    store = make_s3_storage(
        moto_endpoint,
        prefix="m",
        session=aws_session,
        checksum_when_required=True,
        multipart_threshold=S3_TEST_THRESHOLD,
        part_size=S3_TEST_PART_SIZE,
    )
    data = big_blob[:size]
    sent = _record_requests(store)
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
        assert uploads[0][1]["content-md5"] == _b64md5(data)
    else:
        assert [h["content-md5"] for u, h in uploads if "partNumber=" in u] == [
            _b64md5(data[i : i + S3_TEST_PART_SIZE]) for i in range(0, size, S3_TEST_PART_SIZE)
        ]
    with pytest.raises(ChecksumMismatch):
        store.put("bad", io.BytesIO(data + b"!"), sha256=sha(data), content_type="x/y")
    assert not store.exists("bad") and pending_uploads(store) == []


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_multipart_failure_mid_stream_leaves_nothing(s3: S3Storage, exc: BaseException) -> None:
    parts: list[int] = []
    s3.client.meta.events.register("before-parameter-build.s3.UploadPart", lambda params, **_: parts.append(params["PartNumber"]))
    stream = FailingStream(S3_TEST_THRESHOLD * 2 + 1000, exc)  # two full parts go up, then the stream breaks
    with pytest.raises(type(exc)):
        s3.put("photos/big.tif", stream, sha256=sha(b""), content_type="image/tiff")
    assert parts == [1, 2]
    assert pending_uploads(s3) == []
    assert all_bucket_keys(s3) == []
    with pytest.raises(NotFound):
        s3.stat("photos/big.tif")


def test_multipart_checksum_mismatch_keeps_existing_object(s3: S3Storage, big_blob: bytes) -> None:
    data = big_blob[: S3_TEST_THRESHOLD + 1]
    put_bytes(s3, "k", b"old")
    with pytest.raises(ChecksumMismatch):
        s3.put("k", io.BytesIO(data), sha256=sha(b"other"), content_type="x/y")
    assert pending_uploads(s3) == []
    assert b"".join(s3.iter_bytes("k")) == b"old"


def test_prefix_is_normalised_and_stripped(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    store = make_s3_storage(moto_endpoint, prefix="//gallery//media/", session=aws_session)
    assert store.prefix == "gallery/media"
    put_bytes(store, "a/b", b"1")
    # An object outside the prefix, and one inside it with a key this store would never write.
    store.client.put_object(Bucket=store.bucket, Key="gallery/other", Body=b"2")
    store.client.put_object(Bucket=store.bucket, Key="gallery/media/x//y", Body=b"3")
    assert sorted(all_bucket_keys(store)) == ["gallery/media/a/b", "gallery/media/x//y", "gallery/other"]
    assert [o.key for o in store.list()] == ["a/b"]
    assert store.describe() == f"s3://{store.bucket}/gallery/media at {moto_endpoint}"

    bare = make_s3_storage(moto_endpoint, session=aws_session)
    put_bytes(bare, "top", b"x")
    assert all_bucket_keys(bare) == ["top"]
    assert bare.describe() == f"s3://{bare.bucket} at {moto_endpoint}"


def test_list_paginates(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    store = make_s3_storage(moto_endpoint, prefix="p", session=aws_session)
    store.list_page_size = 3
    requests = _record_requests(store)
    keys = [f"k/{i:02d}" for i in range(10)]
    for key in reversed(keys):
        store.client.put_object(Bucket=store.bucket, Key=f"p/{key}", Body=b"")
    requests.clear()
    assert [o.key for o in store.list("k/")] == keys
    assert sum(1 for m, u, _ in requests if m == "GET" and "list-type=2" in u) == 4


def test_from_url(moto_endpoint: str, aws_session: boto3.session.Session) -> None:
    store = S3Storage.from_url("s3://my-bucket/some/prefix/", endpoint_url=moto_endpoint, session=aws_session)
    assert (store.bucket, store.prefix) == ("my-bucket", "some/prefix")
    assert S3Storage.from_url("s3://b", session=aws_session, region_name=REGION).prefix == ""
    for bad in ["file:///x", "s3:///prefix", "s3://b/p?x=1"]:
        with pytest.raises(ValueError):
            S3Storage.from_url(bad, session=aws_session)


def test_constructor_validates(aws_session: boto3.session.Session) -> None:
    with pytest.raises(ValueError):
        S3Storage("b", part_size=1024, session=aws_session, region_name=REGION)
    with pytest.raises(ValueError):
        S3Storage("b", max_attempts=0, session=aws_session, region_name=REGION)
    with pytest.raises(InvalidKey):
        S3Storage("b", prefix="../x", session=aws_session, region_name=REGION)


def test_key_plus_prefix_must_fit_s3_limit(s3: S3Storage) -> None:
    key = "/".join(["k" * 200] * 5) + "/" + "x" * 19  # 1024 characters: valid, but not under "media/"
    with pytest.raises(InvalidKey):
        put_bytes(s3, key, b"x")


def test_url_expiry_is_bounded(s3: S3Storage) -> None:
    with pytest.raises(ValueError):
        s3.url("k", expires=0)
    with pytest.raises(ValueError):
        s3.url("k", expires=8 * 24 * 3600)


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


def test_abort_stale_multipart_uploads(s3: S3Storage) -> None:
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="media/abandoned")
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="elsewhere/abandoned")  # outside the prefix
    # moto reports every upload as initiated in 2010, so a century keeps it and a day aborts it.
    assert s3.abort_stale_multipart_uploads(timedelta(days=36500)) == 0
    assert s3.abort_stale_multipart_uploads(timedelta(days=1)) == 1
    assert [u["Key"] for u in pending_uploads(s3)] == ["elsewhere/abandoned"]


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
        (_client_error("BadDigest", "checksum mismatch", 400, "PutObject"), "GALLERY_S3_REQUEST_CHECKSUM=when_required"),
        (_client_error("InvalidArgument", "x-amz-checksum-sha256 not supported", 400, "PutObject"), "when_required"),
        (_client_error("InternalError", "We encountered an internal error", 500, "PutObject"), "InternalError"),
        (NoCredentialsError(), "AWS_ACCESS_KEY_ID"),
    ],
    ids=["denied", "bad-key", "clock", "region", "digest", "checksum-header", "internal", "no-credentials"],
)
def test_error_messages_say_what_to_do(s3: S3Storage, error: Exception, expected: str) -> None:
    translated = s3._error(error, "read", "k")
    assert type(translated) is StorageError
    message = str(translated)
    assert expected in message and s3.bucket in message and str(s3.endpoint_url) in message, message
