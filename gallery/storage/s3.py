"""Blobs in any S3-compatible store (AWS S3, MinIO, Ceph RGW, Cloudflare R2, Backblaze B2) via boto3.

Keys live under ``<prefix>/<key>`` in one bucket (no double slashes; ``list`` strips the prefix).

Integrity of uploads
--------------------
``put`` always hashes the bytes it reads from the caller's stream and refuses to make an object
visible unless the SHA-256 (and the size, when given) matches the caller's expectation:

* Below ``multipart_threshold`` the body is buffered, hashed *before* anything is sent, and uploaded
  with one ``PutObject``. A mismatch raises :class:`ChecksumMismatch` without any request.
* At or above the threshold a multipart upload is used (``part_size`` parts, each hashed), which is
  completed only when the whole object's SHA-256 matches and aborted otherwise, or on any exception
  (:mod:`.s3_multipart`).

Every ``PutObject``/``UploadPart`` also carries a checksum the store verifies on receipt: our
SHA-256 by default, a ``Content-MD5`` with ``checksum_when_required=True`` (:mod:`.s3_client`).
In both modes the hex SHA-256 is stored as user metadata ``x-amz-meta-sha256``, which ``stat``
reports. ``list`` reports ``content_type``/``sha256`` as ``None`` (S3 listings do not carry them).

URLs
----
``url(key)`` returns a presigned GET URL (SigV4, ``expires`` seconds, at most 7 days), with
``response-content-disposition`` (see :func:`content_disposition`) when ``filename`` is given and
``response-content-type`` when ``content_type`` is given. ``url(key, public=True)`` returns
``public_base_url + "/" + key`` when a public base is configured (presigned otherwise); the public
base must therefore already point at the prefix, e.g. ``https://cdn.example.org/media`` for
``s3://bucket/media``.

Errors
------
Every botocore failure becomes a :class:`StorageError` that names the endpoint and the bucket and
says what to check (:meth:`.s3_client.BucketClient.error`); timeouts and retries are bounded, and
in a web request all storage calls share one total time budget (:mod:`.s3_deadline`).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Collection, Iterator
from datetime import timedelta
from typing import Any, BinaryIO, Literal, cast
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gallery.storage import s3_deadline
from gallery.storage.base import (
    ByteChunks,
    InvalidKey,
    NotFound,
    Storage,
    StorageError,
    StoredObject,
    content_disposition,
    normalize_sha256,
    sha256_mismatch,
    size_mismatch,
    validate_key,
)
from gallery.storage.s3_client import NOT_FOUND_CODES, BucketClient, error_code, make_client, utc
from gallery.storage.s3_multipart import MAX_PART_SIZE, MIN_PART_SIZE, abort_stale_uploads, put_multipart

__all__ = ["S3Storage"]

MAX_PRESIGN_EXPIRES = 7 * 24 * 3600  # SigV4 limit
MAX_S3_KEY_LENGTH = 1024  # bytes; keys are ASCII, so characters


def _read_upto(stream: BinaryIO, limit: int) -> bytearray:
    """Read from ``stream`` until ``limit`` bytes or EOF (streams may return short reads)."""
    buffer = bytearray()
    while len(buffer) < limit:
        chunk = stream.read(limit - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return buffer


class _BodyReader(io.RawIOBase):
    """A raw file object over a botocore ``StreamingBody`` that turns botocore errors into StorageError."""

    def __init__(
        self, body: Any, describe_error: Callable[[BaseException], StorageError], before_read: Callable[[], None]
    ) -> None:
        self._body = body
        self._describe_error = describe_error
        self._before_read = before_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        self._before_read()  # the request's storage time budget (s3_deadline)
        try:
            data = self._body.read(len(view))
        except (BotoCoreError, OSError) as exc:
            raise self._describe_error(exc) from exc
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._body.close()
            finally:
                super().close()


class S3Storage(Storage):
    """Objects in ``bucket`` under ``prefix``; see the module docstring for the guarantees."""

    name: str = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        public_base_url: str | None = None,
        connect_timeout: float = 3,
        read_timeout: float = 15,
        max_attempts: int = 2,
        checksum_when_required: bool = False,
        multipart_threshold: int = 16 * 1024 * 1024,
        part_size: int = 16 * 1024 * 1024,
        client: Any = None,
        session: boto3.session.Session | None = None,
        addressing_style: Literal["auto", "path", "virtual"] | None = None,
    ) -> None:
        """Create the store (no network request is made).

        ``max_attempts`` counts the first attempt (like ``AWS_MAX_ATTEMPTS``). ``client`` replaces
        the boto3 client built from the other settings (its own config then applies); ``session``
        supplies credentials (default: boto3's usual chain: ``AWS_*`` variables, profiles, roles).
        ``addressing_style`` defaults to ``"path"`` when ``endpoint_url`` is set (MinIO, Ceph,
        moto) and to botocore's ``"auto"`` otherwise.
        """
        if not bucket or "/" in bucket:
            raise ValueError(f"invalid bucket name {bucket!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if multipart_threshold < 1:
            raise ValueError("multipart_threshold must be >= 1")
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes")
        normalized = "/".join(segment for segment in prefix.split("/") if segment)
        if normalized:
            validate_key(normalized)
        self.bucket: str = bucket
        self.prefix: str = normalized
        self._key_prefix: str = f"{normalized}/" if normalized else ""
        self.endpoint_url: str | None = endpoint_url
        self.public_base_url: str | None = public_base_url.rstrip("/") if public_base_url else None
        self.multipart_threshold: int = multipart_threshold
        self.part_size: int = part_size
        self.list_page_size: int = 1000  # keys per ListObjectsV2 request (S3's maximum)
        if client is None:
            client = make_client(
                endpoint_url=endpoint_url,
                region_name=region_name,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                max_attempts=max_attempts,
                checksum_when_required=checksum_when_required,
                addressing_style=addressing_style,
                session=session,
            )
        self.client: Any = client
        self._bucket = BucketClient(
            client,
            bucket,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            checksum_when_required=checksum_when_required,
        )
        # Every web request has a total storage time budget (GALLERY_S3_TOTAL_TIMEOUT).
        s3_deadline.attach(client, read_timeout=read_timeout, max_attempts=max_attempts, where=self.describe)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> S3Storage:
        """``S3Storage.from_url("s3://bucket/some/prefix", endpoint_url=..., ...)``."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an S3 storage URL: {url!r} (expected s3://bucket/prefix)")
        if parts.query or parts.fragment:
            raise ValueError(f"S3 storage URL {url!r} must not have a query or fragment")
        return cls(parts.netloc, parts.path.strip("/"), **kwargs)

    # -- helpers -----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"S3Storage({self.describe()!r})"

    def _full_key(self, key: str) -> str:
        full_key = self._key_prefix + validate_key(key)
        if len(full_key) > MAX_S3_KEY_LENGTH:
            raise InvalidKey(
                f"storage key of {len(key)} characters is too long for S3 under the prefix {self.prefix!r} "
                f"(at most {MAX_S3_KEY_LENGTH - len(self._key_prefix)})"
            )
        return full_key

    def _record_from_head(self, key: str, head: dict[str, Any]) -> StoredObject:
        metadata = {str(k).lower(): v for k, v in (head.get("Metadata") or {}).items()}
        sha256: str | None
        try:
            sha256 = normalize_sha256(metadata["sha256"])
        except (KeyError, ValueError):
            sha256 = None
        return StoredObject(
            key=key,
            size=int(head["ContentLength"]),
            last_modified=utc(head["LastModified"]),
            content_type=head.get("ContentType"),
            sha256=sha256,
        )

    # -- uploads -----------------------------------------------------------------------------------

    def _write(self, key: str, stream: BinaryIO, expected: str, content_type: str, size: int | None) -> StoredObject:
        full_key = self._full_key(key)
        first = _read_upto(stream, self.multipart_threshold)
        if len(first) < self.multipart_threshold:
            data = bytes(first)
            del first
            if size is not None and len(data) != size:
                raise size_mismatch(key, len(data), size)
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected:
                raise sha256_mismatch(key, actual, expected)
            self._bucket.call(
                "upload",
                key,
                self.client.put_object,
                Bucket=self.bucket,
                Key=full_key,
                Body=data,
                ContentType=content_type,
                Metadata={"sha256": actual},
                **self._bucket.transport_checksum(data),
            )
            written = len(data)
        else:
            written = put_multipart(
                self._bucket,
                key,
                full_key,
                first,
                stream,
                expected=expected,
                content_type=content_type,
                size=size,
                part_size=self.part_size,
            )
        try:
            head = self._bucket.call(
                "check the upload of", key, self.client.head_object, Bucket=self.bucket, Key=full_key
            )
        except NotFound as exc:
            raise StorageError(
                f"upload of {key!r} to bucket {self.bucket!r} at {self._bucket.endpoint} reported success, "
                "but the object is not visible"
            ) from exc
        record = self._record_from_head(key, head)
        if record.size != written:
            raise StorageError(
                f"upload of {key!r} to bucket {self.bucket!r} at {self._bucket.endpoint} reported success, but the "
                f"stored object has {record.size} bytes instead of {written}"
            )
        return record

    def copy(self, source: str, key: str, *, sha256: str, content_type: str, size: int) -> StoredObject:
        """``CopyObject`` inside the bucket (up to 5 GB): the bytes never pass through Gallery.  The
        caller has read ``source`` and vouches for ``sha256``; the copy's size is checked."""
        expected = normalize_sha256(sha256)
        full_key = self._full_key(key)
        self._bucket.call(
            "copy to",
            key,
            self.client.copy_object,
            Bucket=self.bucket,
            Key=full_key,
            CopySource={"Bucket": self.bucket, "Key": self._full_key(source)},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            Metadata={"sha256": expected},
        )
        record = self._record_from_head(
            key, self._bucket.call("check the copy to", key, self.client.head_object, Bucket=self.bucket, Key=full_key)
        )
        if record.size != size:
            raise size_mismatch(key, record.size, size)
        return record

    # -- reads -------------------------------------------------------------------------------------

    def _get(self, key: str, range_header: str | None = None) -> dict[str, Any] | None:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full_key(key)}
        if range_header:
            params["Range"] = range_header
        try:
            return cast(dict[str, Any], self.client.get_object(**params))
        except ClientError as exc:
            if range_header and error_code(exc) == "InvalidRange":
                return None  # the object exists but the range starts beyond its end
            raise self._bucket.error(exc, "read", key) from exc
        except BotoCoreError as exc:
            raise self._bucket.error(exc, "read", key) from exc

    def open(self, key: str) -> BinaryIO:
        response = self._get(key)
        assert response is not None
        body = response["Body"]
        raw = _BodyReader(
            body,
            lambda exc: self._bucket.error(exc, "read", key),
            lambda: s3_deadline.before_read(body, read_timeout=self._bucket.read_timeout, where=self.describe),
        )
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=1 << 20))

    def _chunks(self, key: str, chunk_size: int, start: int, end: int | None) -> ByteChunks:
        range_header = None
        if start > 0 or end is not None:
            range_header = f"bytes={start}-{'' if end is None else end}"
        response = self._get(key, range_header)
        if response is None:
            return ByteChunks(iter(()), lambda: None)
        body = response["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from s3_deadline.body_chunks(
                    body, chunk_size, read_timeout=self._bucket.read_timeout, where=self.describe
                )
            except (BotoCoreError, OSError) as exc:
                raise self._bucket.error(exc, "read", key) from exc

        return ByteChunks(chunks(), body.close)

    def stat(self, key: str) -> StoredObject:
        head = self._bucket.call("stat", key, self.client.head_object, Bucket=self.bucket, Key=self._full_key(key))
        return self._record_from_head(key, head)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        full_key = self._full_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=full_key)
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND_CODES:
                return  # S3 answers 204 anyway; some compatible stores say 404
            raise self._bucket.error(exc, "delete", key) from exc
        except BotoCoreError as exc:
            raise self._bucket.error(exc, "delete", key) from exc

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a string")
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket,
            Prefix=self._key_prefix + prefix,
            PaginationConfig={"PageSize": self.list_page_size},
        )
        strip = len(self._key_prefix)

        def objects() -> Iterator[StoredObject]:
            try:
                for page in pages:
                    for item in page.get("Contents", ()):
                        key = item["Key"][strip:]
                        try:
                            validate_key(key)
                        except ValueError:
                            continue  # not written by this store (e.g. "a//b"): other methods would refuse it
                        yield StoredObject(
                            key=key,
                            size=int(item["Size"]),
                            last_modified=utc(item["LastModified"]),
                            content_type=None,
                            sha256=None,
                        )
            except (ClientError, BotoCoreError) as exc:
                raise self._bucket.error(exc, f"list objects under {prefix!r}") from exc

        return objects()

    def url(
        self,
        key: str,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        expires: int = 3600,
        public: bool = False,
    ) -> str | None:
        full_key = self._full_key(key)
        if public and self.public_base_url:
            return f"{self.public_base_url}/{key}"
        if not 1 <= expires <= MAX_PRESIGN_EXPIRES:
            raise ValueError(f"expires must be between 1 and {MAX_PRESIGN_EXPIRES} seconds")
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": full_key}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        if content_type:
            params["ResponseContentType"] = content_type
        try:
            return cast(str, self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires))
        except (ClientError, BotoCoreError) as exc:
            raise self._bucket.error(exc, "sign a URL for", key) from exc

    def describe(self) -> str:
        text = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        return f"{text} at {self._bucket.endpoint}"

    # -- administration ----------------------------------------------------------------------------

    def check_bucket(self) -> None:
        """Raise StorageError with a clear reason unless the bucket exists and is accessible."""
        self._bucket.check()

    def create_bucket(self) -> bool:
        """Create the bucket; ``True`` if created, ``False`` if it already existed and is ours."""
        return self._bucket.create()

    def abort_stale_multipart_uploads(self, older_than: timedelta, keep: Collection[str] = ()) -> int:
        """Abort unfinished multipart uploads under the prefix started more than ``older_than`` ago
        (but the upload ids in ``keep``)."""
        return abort_stale_uploads(self._bucket, self._key_prefix, older_than, keep)
