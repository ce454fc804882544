"""Blobs in any S3-compatible store (AWS S3, MinIO, Ceph RGW, Cloudflare R2, Backblaze B2) via boto3.

Keys live under ``<prefix>/<key>`` in one bucket (no double slashes; ``list`` strips the prefix).

Integrity of uploads
--------------------
``put`` always hashes the bytes it reads from the caller's stream and refuses to make an object
visible unless the SHA-256 (and the size, when given) matches the caller's expectation:

* Below ``multipart_threshold`` the body is buffered, hashed *before* anything is sent, and uploaded
  with one ``PutObject``. A mismatch raises :class:`ChecksumMismatch` without any request.
* At or above the threshold a multipart upload is used (``part_size`` parts, each hashed); the
  whole-object SHA-256 is computed while streaming and compared before ``CompleteMultipartUpload``.
  On a mismatch, or on *any* exception (including ``KeyboardInterrupt``), the upload is aborted, so no
  object and no pending parts remain. Because the object is never completed there is nothing to
  delete, and an existing object under the same key is left untouched.

Transport integrity (the server checks what it received):

* default mode: every ``PutObject``/``UploadPart`` carries ``x-amz-checksum-sha256`` (our SHA-256,
  base64) with ``ChecksumAlgorithm=SHA256``; AWS and recent MinIO verify it and reject corrupted
  bodies. This replaces botocore's default CRC32 checksum.
* ``checksum_when_required=True`` (for stores that reject the flexible-checksum headers and
  ``aws-chunked`` trailers botocore sends by default since 1.36): no ``x-amz-checksum-*`` header is
  sent; instead each ``PutObject``/``UploadPart`` carries a ``Content-MD5`` computed locally, which
  every S3-compatible store has verified for years. The SHA-256 is still verified locally as above.

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
Every botocore failure becomes a :class:`StorageError` whose message names the endpoint and the
bucket and says what to check; ``NoSuchKey``/404 becomes :class:`NotFound`. Timeouts and retries are
bounded (``connect_timeout``, ``read_timeout``, ``max_attempts`` total attempts, botocore's
"standard" retry mode), so an unreachable store fails within seconds instead of hanging; in a web
request all storage calls share one total time budget as well (:mod:`.deadline`, :mod:`.s3_deadline`).
Note that S3 answers a HEAD for a key in a missing bucket with a bare 404, so ``stat``/``exists``
cannot tell a missing bucket from a missing key; ``check_bucket`` (used by ``run_storage_check``) can.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar, cast
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from gallery.storage import s3_deadline
from gallery.storage.base import (
    ByteChunks,
    InvalidKey,
    NotFound,
    StorageError,
    StoredObject,
    content_disposition,
    normalize_sha256,
    sha256_mismatch,
    size_mismatch,
    validate_key,
    validate_range,
)

__all__ = ["MIN_PART_SIZE", "S3Storage"]

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600  # SigV4 limit
MAX_S3_KEY_LENGTH = 1024  # bytes; keys are ASCII, so characters

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}
)
_CHECKSUM_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"})

T = TypeVar("T")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


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


class S3Storage:
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
        self.connect_timeout: float = connect_timeout
        self.read_timeout: float = read_timeout
        self.max_attempts: int = max_attempts
        self.checksum_when_required: bool = checksum_when_required
        self.multipart_threshold: int = multipart_threshold
        self.part_size: int = part_size
        self.list_page_size: int = 1000  # keys per ListObjectsV2 request (S3's maximum)
        if client is None:
            checksum_mode: Literal["when_supported", "when_required"] = (
                "when_required" if checksum_when_required else "when_supported"
            )
            config = Config(
                signature_version="s3v4",
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "total_max_attempts": max_attempts},
                s3={"addressing_style": addressing_style or ("path" if endpoint_url else "auto")},
                request_checksum_calculation=checksum_mode,
                response_checksum_validation=checksum_mode,
                user_agent_extra="gallery-storage",
            )
            client = (session or boto3.session.Session()).client(
                "s3", endpoint_url=endpoint_url, region_name=region_name, config=config
            )
        self.client: Any = client
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

    @property
    def _endpoint(self) -> str:
        return str(self.client.meta.endpoint_url)

    def _full_key(self, key: str) -> str:
        full_key = self._key_prefix + validate_key(key)
        if len(full_key) > MAX_S3_KEY_LENGTH:
            raise InvalidKey(
                f"storage key of {len(key)} characters is too long for S3 under the prefix {self.prefix!r} "
                f"(at most {MAX_S3_KEY_LENGTH - len(self._key_prefix)})"
            )
        return full_key

    def _error(self, exc: BaseException, action: str, key: str | None = None) -> StorageError:
        """Translate a botocore exception into a StorageError a person can act on."""
        where = f"bucket {self.bucket!r} at {self._endpoint}"
        what = f"{action} {key!r}" if key is not None else action
        late = s3_deadline.explain(exc, what, where)
        if late is not None:
            return late
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            message = str(error.get("Message", "") or "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            detail = f"{code}{': ' + message if message else ''} (HTTP {status})"
            if code in _NOT_FOUND_CODES and key is not None:
                return NotFound(f"no object {key!r} in {where}")
            if code == "NoSuchBucket" or (code in _NOT_FOUND_CODES and key is None):
                return StorageError(
                    f"cannot {what}: the bucket {self.bucket!r} does not exist at {self._endpoint}; create it "
                    "(flask --app wsgi gallery storage-check --create-bucket) or fix GALLERY_STORAGE_URL"
                )
            if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
                return StorageError(
                    f"cannot {what}: access denied to {where}; check the credentials (AWS_ACCESS_KEY_ID, "
                    f"AWS_SECRET_ACCESS_KEY) and the bucket policy [{detail}]"
                )
            if code in _CREDENTIAL_CODES:
                return StorageError(
                    f"cannot {what}: {where} rejected the credentials; check AWS_ACCESS_KEY_ID and "
                    f"AWS_SECRET_ACCESS_KEY (and the region) [{detail}]"
                )
            if code == "RequestTimeTooSkewed":
                return StorageError(f"cannot {what}: the clock of this machine is off; {where} refused [{detail}]")
            if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"):
                return StorageError(
                    f"cannot {what}: {where} is in another region; set AWS_REGION to the bucket's region [{detail}]"
                )
            if code in _CHECKSUM_CODES or (code in ("InvalidArgument", "InvalidRequest", "NotImplemented") and (
                "checksum" in message.lower() or "x-amz-" in message.lower() or "chunked" in message.lower()
            )):
                return StorageError(
                    f"cannot {what}: {where} rejected the upload's checksum or its headers [{detail}]; if the "
                    "data was not corrupted in transit, this store may not support flexible checksums: set "
                    "GALLERY_S3_REQUEST_CHECKSUM=when_required"
                )
            return StorageError(f"cannot {what} in {where}: {detail}")
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            return StorageError(
                f"cannot {what}: no usable S3 credentials for {where}; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            )
        if isinstance(exc, ConnectTimeoutError):
            return StorageError(
                f"cannot {what}: timed out connecting to {self._endpoint} (bucket {self.bucket!r}) after "
                f"{self.connect_timeout:g} s and {self.max_attempts} attempt(s); is the endpoint reachable?"
            )
        if isinstance(exc, EndpointConnectionError):
            return StorageError(
                f"cannot {what}: cannot connect to the S3 endpoint {self._endpoint} (bucket {self.bucket!r}) "
                f"after {self.max_attempts} attempt(s); is it running and is GALLERY_S3_ENDPOINT_URL right? ({exc})"
            )
        if isinstance(exc, ReadTimeoutError):
            return StorageError(
                f"cannot {what}: {self._endpoint} (bucket {self.bucket!r}) did not answer within "
                f"{self.read_timeout:g} s ({self.max_attempts} attempt(s)); the store is overloaded or stuck"
            )
        if isinstance(exc, BotoCoreError):
            return StorageError(f"cannot {what} in {where}: {exc}")
        return StorageError(f"cannot {what} in {where}: {type(exc).__name__}: {exc}")

    def _call(self, action: str, key: str | None, fn: Callable[..., T], **params: Any) -> T:
        try:
            return fn(**params)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, action, key) from exc

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
            last_modified=_utc(head["LastModified"]),
            content_type=head.get("ContentType"),
            sha256=sha256,
        )

    def _transport_checksum(self, data: bytes) -> dict[str, str]:
        if self.checksum_when_required:
            return {"ContentMD5": _b64(hashlib.md5(data, usedforsecurity=False).digest())}
        return {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": _b64(hashlib.sha256(data).digest())}

    # -- uploads -----------------------------------------------------------------------------------

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        sha256: str,
        content_type: str,
        size: int | None = None,
    ) -> StoredObject:
        expected = normalize_sha256(sha256)
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
            self._call(
                "upload",
                key,
                self.client.put_object,
                Bucket=self.bucket,
                Key=full_key,
                Body=data,
                ContentType=content_type,
                Metadata={"sha256": actual},
                **self._transport_checksum(data),
            )
            written = len(data)
        else:
            written = self._put_multipart(key, full_key, first, stream, expected, content_type, size)
        try:
            head = self._call("check the upload of", key, self.client.head_object, Bucket=self.bucket, Key=full_key)
        except NotFound as exc:
            raise StorageError(
                f"upload of {key!r} to bucket {self.bucket!r} at {self._endpoint} reported success, "
                "but the object is not visible"
            ) from exc
        record = self._record_from_head(key, head)
        if record.size != written:
            raise StorageError(
                f"upload of {key!r} to bucket {self.bucket!r} at {self._endpoint} reported success, but the "
                f"stored object has {record.size} bytes instead of {written}"
            )
        return record

    def _put_multipart(
        self,
        key: str,
        full_key: str,
        first: bytearray,
        stream: BinaryIO,
        expected: str,
        content_type: str,
        size: int | None,
    ) -> int:
        part_size = self.part_size
        if size is not None and size > part_size * MAX_PARTS:
            part_size = min(MAX_PART_SIZE, -(-size // MAX_PARTS))
        create_params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": full_key,
            "ContentType": content_type,
            "Metadata": {"sha256": expected},
        }
        if not self.checksum_when_required:
            create_params["ChecksumAlgorithm"] = "SHA256"
        created = self._call("start a multipart upload of", key, self.client.create_multipart_upload, **create_params)
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
                number = len(parts) + 1
                if number > MAX_PARTS:
                    raise StorageError(
                        f"cannot upload {key!r}: more than {MAX_PARTS} parts of {part_size} bytes; "
                        "pass size= or raise part_size"
                    )
                checksum = self._transport_checksum(body)
                response = self._call(
                    f"upload part {number} of",
                    key,
                    self.client.upload_part,
                    Bucket=self.bucket,
                    Key=full_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body,
                    **checksum,
                )
                part: dict[str, Any] = {"ETag": response["ETag"], "PartNumber": number}
                if "ChecksumSHA256" in checksum:
                    part["ChecksumSHA256"] = checksum["ChecksumSHA256"]
                parts.append(part)
                if eof and not pending:
                    break
            if size is not None and written != size:
                raise size_mismatch(key, written, size)
            actual = digest.hexdigest()
            if actual != expected:
                raise sha256_mismatch(key, actual, expected)
            self._call(
                "complete the multipart upload of",
                key,
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=full_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._abort(full_key, upload_id)
            raise
        return written

    def _abort(self, full_key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full_key, UploadId=upload_id)
        except Exception as exc:  # noqa: BLE001 - never mask the error that made us abort
            if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                return
            log.warning(
                "could not abort multipart upload %s of %r in bucket %r at %s: %s; "
                "S3Storage.abort_stale_multipart_uploads() will remove its parts",
                upload_id, full_key, self.bucket, self._endpoint, exc,
            )

    # -- reads -------------------------------------------------------------------------------------

    def _get(self, key: str, range_header: str | None = None) -> dict[str, Any] | None:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full_key(key)}
        if range_header:
            params["Range"] = range_header
        try:
            return cast(dict[str, Any], self.client.get_object(**params))
        except ClientError as exc:
            if range_header and exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return None  # the object exists but the range starts beyond its end
            raise self._error(exc, "read", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "read", key) from exc

    def open(self, key: str) -> BinaryIO:
        response = self._get(key)
        assert response is not None
        body = response["Body"]
        raw = _BodyReader(
            body,
            lambda exc: self._error(exc, "read", key),
            lambda: s3_deadline.before_read(body, read_timeout=self.read_timeout, where=self.describe),
        )
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=1 << 20))

    def iter_bytes(
        self,
        key: str,
        *,
        chunk_size: int = 1 << 20,
        start: int = 0,
        end: int | None = None,
    ) -> Iterator[bytes]:
        validate_range(start, end)
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        range_header = None
        if start > 0 or end is not None:
            range_header = f"bytes={start}-{'' if end is None else end}"
        response = self._get(key, range_header)
        if response is None:
            return ByteChunks(iter(()), lambda: None)
        body = response["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from s3_deadline.body_chunks(body, chunk_size, read_timeout=self.read_timeout, where=self.describe)
            except (BotoCoreError, OSError) as exc:
                raise self._error(exc, "read", key) from exc

        return ByteChunks(chunks(), body.close)

    def stat(self, key: str) -> StoredObject:
        head = self._call("stat", key, self.client.head_object, Bucket=self.bucket, Key=self._full_key(key))
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
            if exc.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
                return  # S3 answers 204 anyway; some compatible stores say 404
            raise self._error(exc, "delete", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "delete", key) from exc

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
                            last_modified=_utc(item["LastModified"]),
                            content_type=None,
                            sha256=None,
                        )
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, f"list objects under {prefix!r}") from exc

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
            raise self._error(exc, "sign a URL for", key) from exc

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    def describe(self) -> str:
        text = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        return f"{text} at {self._endpoint}"

    # -- administration ----------------------------------------------------------------------------

    def check_bucket(self) -> None:
        """Raise StorageError with a clear reason unless the bucket exists and is accessible."""
        self._call("access the bucket", None, self.client.head_bucket, Bucket=self.bucket)

    def create_bucket(self) -> bool:
        """Create the bucket; ``True`` if created, ``False`` if it already existed and is ours."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return False  # exists and is ours (AWS us-east-1 and moto answer a re-create with 200 anyway)
        except ClientError:
            pass  # missing (404) or not visible to us (403): try to create it and report what S3 says
        except BotoCoreError as exc:
            raise self._error(exc, "create the bucket") from exc
        params: dict[str, Any] = {"Bucket": self.bucket}
        region = self.client.meta.region_name
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "BucketAlreadyOwnedByYou":
                return False
            if code == "BucketAlreadyExists":
                try:
                    self.check_bucket()
                except StorageError:
                    raise StorageError(
                        f"cannot create bucket {self.bucket!r} at {self._endpoint}: the name is taken by another account"
                    ) from exc
                return False
            raise self._error(exc, "create the bucket") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "create the bucket") from exc
        return True

    def abort_stale_multipart_uploads(self, older_than: timedelta) -> int:
        """Abort unfinished multipart uploads under the prefix started more than ``older_than`` ago."""
        cutoff = datetime.now(UTC) - older_than
        paginator = self.client.get_paginator("list_multipart_uploads")
        aborted = 0
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key_prefix):
                for upload in page.get("Uploads", ()):
                    if _utc(upload["Initiated"]) >= cutoff:
                        continue
                    try:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                    except ClientError as exc:
                        if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                            raise
                        continue
                    aborted += 1
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "abort stale multipart uploads") from exc
        return aborted
