"""Multipart uploads to S3, for :meth:`~gallery.storage.s3.S3Storage.put` at or above its
``multipart_threshold``, and the removal of uploads left unfinished.

The object is sent in ``part_size`` parts, each with its transport checksum
(:meth:`~gallery.storage.s3_client.BucketClient.transport_checksum`); the whole-object SHA-256 is
computed while streaming and compared before ``CompleteMultipartUpload``.  On a mismatch, or on
*any* exception (including ``KeyboardInterrupt``), the upload is aborted, so no object and no
pending parts remain.  Because the object is never completed there is nothing to delete, and an
existing object under the same key is left untouched.  Parts an abort could not remove (the store
was unreachable) are removed by :func:`abort_stale_uploads` (``gallery gc``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from gallery.storage.base import StorageError, sha256_mismatch, size_mismatch
from gallery.storage.s3_client import BucketClient, error_code, utc

__all__ = ["MAX_PARTS", "MAX_PART_SIZE", "MIN_PART_SIZE", "abort_stale_uploads", "put_multipart"]

log = logging.getLogger("gallery.storage.s3")

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000


def part_size_for(size: int | None, part_size: int) -> int:
    """``part_size``, or larger when an object of ``size`` bytes would need more than S3's
    :data:`MAX_PARTS` parts of it."""
    if size is not None and size > part_size * MAX_PARTS:
        return min(MAX_PART_SIZE, -(-size // MAX_PARTS))
    return part_size


def put_multipart(
    bucket: BucketClient,
    key: str,
    full_key: str,
    first: bytearray,
    stream: BinaryIO,
    *,
    expected: str,
    content_type: str,
    size: int | None,
    part_size: int,
) -> int:
    """Upload ``first`` and the rest of ``stream`` as the object ``full_key`` (``key`` in messages);
    complete it only when the SHA-256 is ``expected`` (and the size ``size``, when given), else abort
    it.  Returns the number of bytes written."""
    part_size = part_size_for(size, part_size)
    create_params: dict[str, Any] = {
        "Bucket": bucket.name,
        "Key": full_key,
        "ContentType": content_type,
        "Metadata": {"sha256": expected},
    }
    if not bucket.checksum_when_required:
        create_params["ChecksumAlgorithm"] = "SHA256"
    created = bucket.call("start a multipart upload of", key, bucket.client.create_multipart_upload, **create_params)
    upload_id = created["UploadId"]
    try:
        digest = hashlib.sha256()
        written = 0
        parts: list[dict[str, Any]] = []
        pending = first
        eof = False
        while True:
            while len(pending) < part_size and not eof:
                chunk = stream.read(part_size - len(pending))  # caller's stream: errors propagate as they are
                if chunk:
                    pending += chunk
                else:
                    eof = True
            if not pending:
                break
            body = bytes(pending[:part_size])
            del pending[:part_size]
            digest.update(body)
            written += len(body)
            parts.append(_upload_part(bucket, key, full_key, upload_id, len(parts) + 1, body, part_size))
            if eof and not pending:
                break
        if size is not None and written != size:
            raise size_mismatch(key, written, size)
        actual = digest.hexdigest()
        if actual != expected:
            raise sha256_mismatch(key, actual, expected)
        bucket.call(
            "complete the multipart upload of",
            key,
            bucket.client.complete_multipart_upload,
            Bucket=bucket.name,
            Key=full_key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    except BaseException:
        _abort(bucket, full_key, upload_id)
        raise
    return written


def _upload_part(
    bucket: BucketClient, key: str, full_key: str, upload_id: str, number: int, body: bytes, part_size: int
) -> dict[str, Any]:
    """Send part ``number``; returns what ``CompleteMultipartUpload`` needs to know of it."""
    if number > MAX_PARTS:
        raise StorageError(
            f"cannot upload {key!r}: more than {MAX_PARTS} parts of {part_size} bytes; pass size= or raise part_size"
        )
    checksum = bucket.transport_checksum(body)
    response = bucket.call(
        f"upload part {number} of",
        key,
        bucket.client.upload_part,
        Bucket=bucket.name,
        Key=full_key,
        UploadId=upload_id,
        PartNumber=number,
        Body=body,
        **checksum,
    )
    part: dict[str, Any] = {"ETag": response["ETag"], "PartNumber": number}
    if "ChecksumSHA256" in checksum:
        part["ChecksumSHA256"] = checksum["ChecksumSHA256"]
    return part


def _abort(bucket: BucketClient, full_key: str, upload_id: str) -> None:
    try:
        bucket.client.abort_multipart_upload(Bucket=bucket.name, Key=full_key, UploadId=upload_id)
    except Exception as exc:  # noqa: BLE001 - never mask the error that made us abort
        if isinstance(exc, ClientError) and error_code(exc) == "NoSuchUpload":
            return
        log.warning(
            "could not abort multipart upload %s of %r in bucket %r at %s: %s; "
            "S3Storage.abort_stale_multipart_uploads() will remove its parts",
            upload_id,
            full_key,
            bucket.name,
            bucket.endpoint,
            exc,
        )


def abort_stale_uploads(
    bucket: BucketClient, key_prefix: str, older_than: timedelta, keep: Collection[str] = ()
) -> int:
    """Abort the unfinished multipart uploads under ``key_prefix`` started more than ``older_than``
    ago, except the upload ids in ``keep`` (resumable and direct uploads still under way); returns
    how many."""
    cutoff = datetime.now(UTC) - older_than
    paginator = bucket.client.get_paginator("list_multipart_uploads")
    aborted = 0
    try:
        for page in paginator.paginate(Bucket=bucket.name, Prefix=key_prefix):
            for upload in page.get("Uploads", ()):
                if utc(upload["Initiated"]) >= cutoff or upload["UploadId"] in keep:
                    continue
                try:
                    bucket.client.abort_multipart_upload(
                        Bucket=bucket.name, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except ClientError as exc:
                    if error_code(exc) != "NoSuchUpload":
                        raise
                    continue
                aborted += 1
    except (ClientError, BotoCoreError) as exc:
        raise bucket.error(exc, "abort stale multipart uploads") from exc
    return aborted
