"""gallery.storage.s3_multipart: parts with checksums, nothing left behind by a failed or
mismatched upload, stale uploads aborted, and the part size for very large objects."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from gallery.storage import (
    ChecksumMismatch,
    NotFound,
    S3Storage,
)
from gallery.storage.s3_multipart import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, part_size_for
from tests.storage.helpers import (
    S3_TEST_PART_SIZE,
    S3_TEST_THRESHOLD,
    FailingStream,
    all_bucket_keys,
    b64sha,
    pending_uploads,
    put_bytes,
    record_requests,
    sha,
)


def test_multipart_parts_carry_sha256_checksums(s3: S3Storage, big_blob: bytes) -> None:
    data = big_blob[: S3_TEST_THRESHOLD + 123]
    sent = record_requests(s3)
    put_bytes(s3, "big", data)
    part_requests = [h for m, u, h in sent if m == "PUT" and "partNumber=" in u]
    assert [h["x-amz-checksum-sha256"] for h in part_requests] == [
        b64sha(data[:S3_TEST_PART_SIZE]),
        b64sha(data[S3_TEST_PART_SIZE:]),
    ]
    assert b"".join(s3.iter_bytes("big")) == data
    assert s3.stat("big").sha256 == sha(data)


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_multipart_failure_mid_stream_leaves_nothing(s3: S3Storage, exc: BaseException) -> None:
    parts: list[int] = []
    s3.client.meta.events.register(
        "before-parameter-build.s3.UploadPart", lambda params, **_: parts.append(params["PartNumber"])
    )
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


def test_abort_stale_multipart_uploads(s3: S3Storage) -> None:
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="media/abandoned")
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="elsewhere/abandoned")  # outside the prefix
    # moto reports every upload as initiated in 2010, so a century keeps it and a day aborts it.
    assert s3.abort_stale_multipart_uploads(timedelta(days=36500)) == 0
    assert s3.abort_stale_multipart_uploads(timedelta(days=1)) == 1
    assert [u["Key"] for u in pending_uploads(s3)] == ["elsewhere/abandoned"]


def test_abort_stale_multipart_uploads_keeps_the_named_ones(s3: S3Storage) -> None:
    live = s3.client.create_multipart_upload(Bucket=s3.bucket, Key="media/live")["UploadId"]
    s3.client.create_multipart_upload(Bucket=s3.bucket, Key="media/dead")
    assert s3.abort_stale_multipart_uploads(timedelta(days=1), keep={live}) == 1
    assert [u["UploadId"] for u in pending_uploads(s3) if u["Key"].startswith("media/")] == [live]


def test_very_large_objects_get_larger_parts() -> None:
    assert part_size_for(None, MIN_PART_SIZE) == MIN_PART_SIZE
    assert part_size_for(MIN_PART_SIZE * MAX_PARTS, MIN_PART_SIZE) == MIN_PART_SIZE  # exactly the last part
    bigger = part_size_for(MIN_PART_SIZE * MAX_PARTS + 1, MIN_PART_SIZE)
    assert bigger == MIN_PART_SIZE + 1 and bigger * MAX_PARTS >= MIN_PART_SIZE * MAX_PARTS + 1
    assert part_size_for(MAX_PART_SIZE * MAX_PARTS * 2, MIN_PART_SIZE) == MAX_PART_SIZE  # S3's limit caps it
