"""The boto3 side of :class:`~gallery.storage.s3.S3Storage`: the client built from the settings, the
bucket it talks to (checked or created), the checksums on the wire, and every botocore failure
turned into a :class:`StorageError` a person can act on.

Checksums on the wire
---------------------
By default every ``PutObject``/``UploadPart`` carries ``x-amz-checksum-sha256`` (our SHA-256,
base64) with ``ChecksumAlgorithm=SHA256``; AWS and recent MinIO verify it and reject corrupted
bodies (this replaces botocore's default CRC32 checksum).  With ``checksum_when_required=True``
(for stores that reject the flexible-checksum headers and ``aws-chunked`` trailers botocore sends
by default since 1.36) no ``x-amz-checksum-*`` header is sent; each ``PutObject``/``UploadPart``
carries a ``Content-MD5`` computed locally instead, which every S3-compatible store has verified
for years.

Errors
------
Every botocore failure becomes a :class:`StorageError` whose message names the endpoint and the
bucket and says what to check; ``NoSuchKey``/404 becomes :class:`NotFound`.  Timeouts and retries are
bounded (``connect_timeout``, ``read_timeout``, ``max_attempts`` total attempts, botocore's
"standard" retry mode), so an unreachable store fails within seconds instead of hanging; in a web
request all storage calls share one total time budget as well (:mod:`.deadline`, :mod:`.s3_deadline`).
Note that S3 answers a HEAD for a key in a missing bucket with a bare 404, so ``stat``/``exists``
cannot tell a missing bucket from a missing key; :meth:`BucketClient.check` (used by
``run_storage_check``) can.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

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
from gallery.storage.base import NotFound, StorageError

__all__ = ["NOT_FOUND_CODES", "BucketClient", "error_code", "make_client", "utc"]

NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}
)
_CHECKSUM_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"})
_ACCESS_CODES = frozenset({"AccessDenied", "403", "Forbidden", "AllAccessDisabled"})
_REGION_CODES = frozenset({"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"})
_REJECTED_HEADER_CODES = frozenset({"InvalidArgument", "InvalidRequest", "NotImplemented"})

T = TypeVar("T")


def error_code(exc: ClientError) -> str:
    """The S3 error code of a refused request (``NoSuchKey``, ``AccessDenied`` …)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def utc(value: datetime) -> datetime:
    """A timestamp from S3 (``LastModified``, ``Initiated``) as an aware UTC datetime."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def make_client(
    *,
    endpoint_url: str | None,
    region_name: str | None,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
    checksum_when_required: bool,
    addressing_style: Literal["auto", "path", "virtual"] | None = None,
    session: boto3.session.Session | None = None,
) -> Any:
    """A boto3 S3 client with bounded timeouts and retries; ``addressing_style`` defaults to
    ``"path"`` with an ``endpoint_url`` (MinIO, Ceph, moto) and to botocore's ``"auto"`` otherwise;
    ``session`` supplies credentials (default: boto3's usual chain: ``AWS_*`` variables, profiles,
    roles)."""
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
    return (session or boto3.session.Session()).client(
        "s3", endpoint_url=endpoint_url, region_name=region_name, config=config
    )


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class BucketClient:
    """One bucket through one boto3 client: calls whose failures say what to check, the checksum
    headers of an upload, and the bucket's own check and creation."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int,
        checksum_when_required: bool,
    ) -> None:
        self.client: Any = client
        self.name: str = bucket
        self.connect_timeout: float = connect_timeout
        self.read_timeout: float = read_timeout
        self.max_attempts: int = max_attempts
        self.checksum_when_required: bool = checksum_when_required

    @property
    def endpoint(self) -> str:
        return str(self.client.meta.endpoint_url)

    def call(self, action: str, key: str | None, fn: Callable[..., T], **params: Any) -> T:
        """``fn(**params)`` (a client method), its botocore failures translated by :meth:`error`."""
        try:
            return fn(**params)
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, action, key) from exc

    def transport_checksum(self, data: bytes) -> dict[str, str]:
        """The parameters that make the store check the bytes it receives (``PutObject``, ``UploadPart``)."""
        if self.checksum_when_required:
            return {"ContentMD5": _b64(hashlib.md5(data, usedforsecurity=False).digest())}
        return {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": _b64(hashlib.sha256(data).digest())}

    def error(self, exc: BaseException, action: str, key: str | None = None) -> StorageError:
        """Translate a botocore exception into a StorageError a person can act on."""
        where = f"bucket {self.name!r} at {self.endpoint}"
        what = f"{action} {key!r}" if key is not None else action
        late = s3_deadline.explain(exc, what, where)
        if late is not None:
            return late
        if isinstance(exc, ClientError):
            return self._refused(exc, what, where, key)
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            return StorageError(
                f"cannot {what}: no usable S3 credentials for {where}; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            )
        if isinstance(exc, ConnectTimeoutError):
            return StorageError(
                f"cannot {what}: timed out connecting to {self.endpoint} (bucket {self.name!r}) after "
                f"{self.connect_timeout:g} s and {self.max_attempts} attempt(s); is the endpoint reachable?"
            )
        if isinstance(exc, EndpointConnectionError):
            return StorageError(
                f"cannot {what}: cannot connect to the S3 endpoint {self.endpoint} (bucket {self.name!r}) "
                f"after {self.max_attempts} attempt(s); is it running and is GALLERY_S3_ENDPOINT_URL right? ({exc})"
            )
        if isinstance(exc, ReadTimeoutError):
            return StorageError(
                f"cannot {what}: {self.endpoint} (bucket {self.name!r}) did not answer within "
                f"{self.read_timeout:g} s ({self.max_attempts} attempt(s)); the store is overloaded or stuck"
            )
        if isinstance(exc, BotoCoreError):
            return StorageError(f"cannot {what} in {where}: {exc}")
        return StorageError(f"cannot {what} in {where}: {type(exc).__name__}: {exc}")

    def _refused(self, exc: ClientError, what: str, where: str, key: str | None) -> StorageError:
        """A request the store answered with an error."""
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        detail = f"{code}{': ' + message if message else ''} (HTTP {status})"
        if code in NOT_FOUND_CODES and key is not None:
            return NotFound(f"no object {key!r} in {where}")
        if code == "NoSuchBucket" or (code in NOT_FOUND_CODES and key is None):
            return StorageError(
                f"cannot {what}: the bucket {self.name!r} does not exist at {self.endpoint}; create it "
                "(flask --app wsgi gallery storage-check --create-bucket) or fix GALLERY_STORAGE_URL"
            )
        if code in _ACCESS_CODES:
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
        if code in _REGION_CODES:
            return StorageError(
                f"cannot {what}: {where} is in another region; set AWS_REGION to the bucket's region [{detail}]"
            )
        lowered = message.lower()
        rejected_headers = code in _REJECTED_HEADER_CODES and any(
            word in lowered for word in ("checksum", "x-amz-", "chunked")
        )
        if code in _CHECKSUM_CODES or rejected_headers:
            return StorageError(
                f"cannot {what}: {where} rejected the upload's checksum or its headers [{detail}]; if the "
                "data was not corrupted in transit, this store may not support flexible checksums: set "
                "GALLERY_S3_REQUEST_CHECKSUM=when_required"
            )
        return StorageError(f"cannot {what} in {where}: {detail}")

    # -- the bucket itself -------------------------------------------------------------------------

    def check(self) -> None:
        """Raise StorageError with a clear reason unless the bucket exists and is accessible."""
        self.call("access the bucket", None, self.client.head_bucket, Bucket=self.name)

    def create(self) -> bool:
        """Create the bucket; ``True`` if created, ``False`` if it already existed and is ours."""
        try:
            self.client.head_bucket(Bucket=self.name)
            return False  # exists and is ours (AWS us-east-1 and moto answer a re-create with 200 anyway)
        except ClientError:
            pass  # missing (404) or not visible to us (403): try to create it and report what S3 says
        except BotoCoreError as exc:
            raise self.error(exc, "create the bucket") from exc
        params: dict[str, Any] = {"Bucket": self.name}
        region = self.client.meta.region_name
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(**params)
        except ClientError as exc:
            code = error_code(exc)
            if code == "BucketAlreadyOwnedByYou":
                return False
            if code == "BucketAlreadyExists":
                try:
                    self.check()
                except StorageError:
                    raise StorageError(
                        f"cannot create bucket {self.name!r} at {self.endpoint}: the name is taken by another account"
                    ) from exc
                return False
            raise self.error(exc, "create the bucket") from exc
        except BotoCoreError as exc:
            raise self.error(exc, "create the bucket") from exc
        return True
