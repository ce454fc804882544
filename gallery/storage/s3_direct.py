"""Direct uploads to S3: a multipart upload that the client fills itself through presigned
``UploadPart`` URLs, so the bytes go from the client to the bucket and never through Gallery.
Gallery starts it, lists the part URLs, completes it with the client's ETags, and aborts it on any
refusal (:mod:`gallery.uploads.direct` holds the rules)."""

from __future__ import annotations

import fnmatch
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from gallery.storage.base import StorageError
from gallery.storage.s3 import S3Storage
from gallery.storage.s3_client import error_code

MIB = 1024 * 1024
MIN_DIRECT_PART = 8 * MIB
MAX_DIRECT_PART = 64 * MIB
TARGET_PARTS = 16
MAX_URL_SECONDS = 7 * 24 * 3600  # SigV4's limit
# S3's answers to a completion whose parts are wrong: the client's fault, not the store's.
REFUSED_CODES = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "NoSuchUpload", "MalformedXML"})


class PartsRefused(StorageError):
    """The store refused to assemble the parts the client named (wrong ETag, missing or too small part)."""


def part_size_for(size: int) -> int:
    """8 MiB parts for files up to 128 MiB, then larger (whole MiB) so a file takes about 16
    parts, never more than 64 MiB each."""
    wanted = -(-size // TARGET_PARTS)
    wanted = -(-wanted // MIB) * MIB
    return max(MIN_DIRECT_PART, min(MAX_DIRECT_PART, wanted))


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def start(storage: S3Storage, key: str, *, content_type: str) -> str:
    """Start a multipart upload to ``key``; its upload id."""
    response = storage._bucket.call(
        "start a direct upload to",
        key,
        storage.client.create_multipart_upload,
        Bucket=storage.bucket,
        Key=storage._full_key(key),
        ContentType=content_type,
    )
    return str(response["UploadId"])


def part_urls(storage: S3Storage, key: str, upload_id: str, *, count: int, expires: int) -> list[str]:
    """Presigned ``UploadPart`` URLs for parts 1..``count`` (no request is made)."""
    full_key = storage._full_key(key)
    seconds = max(60, min(expires, MAX_URL_SECONDS))
    return [
        storage.client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": storage.bucket, "Key": full_key, "UploadId": upload_id, "PartNumber": number},
            ExpiresIn=seconds,
        )
        for number in range(1, count + 1)
    ]


# What a browser may be allowed to ask the store about a multipart upload Gallery started: the
# boto3 operation for each (the upload page's @uppy/aws-s3 signs every request it makes).
BROWSER_OPERATIONS = {
    "upload_part": "upload_part",
    "list_parts": "list_parts",
    "complete": "complete_multipart_upload",
    "abort": "abort_multipart_upload",
}


def presign(
    storage: S3Storage, key: str, upload_id: str, operation: str, *, part_number: int | None = None, expires: int
) -> str:
    """A presigned URL for one request on the multipart upload ``upload_id`` of ``key``: a part
    (``part_number``), the list of parts, the completion or the abort (no request is made)."""
    params: dict[str, object] = {"Bucket": storage.bucket, "Key": storage._full_key(key), "UploadId": upload_id}
    if operation == "upload_part":
        params["PartNumber"] = part_number
    return str(
        storage.client.generate_presigned_url(
            BROWSER_OPERATIONS[operation], Params=params, ExpiresIn=max(60, min(expires, MAX_URL_SECONDS))
        )
    )


def browser_origin(storage: S3Storage) -> str:
    """The origin (scheme://host[:port]) the store's presigned URLs point at, the one a browser
    talks to: virtual-hosted or path style, custom endpoints (MinIO, R2) alike."""
    parts = urlsplit(
        storage.client.generate_presigned_url(
            "get_object", Params={"Bucket": storage.bucket, "Key": storage._full_key("origin")}, ExpiresIn=60
        )
    )
    return f"{parts.scheme}://{parts.netloc}"


# What the upload page does on the bucket, and what each request needs from its CORS rules: the
# completion is an XML POST (a Content-Type header), each part's ETag is read from the PUT's answer.
BROWSER_METHODS = ("GET", "PUT", "POST", "DELETE")


def _origin_allowed(patterns: list[str], origin: str) -> bool:
    return any(fnmatch.fnmatchcase(origin, pattern) for pattern in patterns)  # S3 allows one "*" per origin


def cors_problem(storage: S3Storage, origin: str) -> str | None:
    """Why the bucket's CORS rules would stop the upload page at ``origin`` from sending photos
    straight to the bucket, or None when they let it (each of its requests has a rule for it)."""
    try:
        rules = storage.client.get_bucket_cors(Bucket=storage.bucket).get("CORSRules", [])
    except ClientError as exc:
        if error_code(exc) != "NoSuchCORSConfiguration":
            raise storage._bucket.error(exc, "read the CORS rules of the bucket") from exc
        rules = []
    except BotoCoreError as exc:
        raise storage._bucket.error(exc, "read the CORS rules of the bucket") from exc

    def allowed(method: str) -> bool:
        for rule in rules:
            headers = [h.lower() for h in rule.get("AllowedHeaders", [])]
            exposed = [h.lower() for h in rule.get("ExposeHeaders", [])]
            if (
                _origin_allowed(rule.get("AllowedOrigins", []), origin)
                and method in rule.get("AllowedMethods", [])
                and (method != "POST" or "*" in headers or "content-type" in headers)
                and (method != "PUT" or "etag" in exposed)
            ):
                return True
        return False

    missing = [method for method in BROWSER_METHODS if not allowed(method)]
    if not missing:
        return None
    return (
        f"the bucket's CORS rules do not let {origin} {', '.join(missing)} (GET, PUT, POST and DELETE, the "
        "Content-Type header, ETag exposed): the upload page cannot send photos straight to the bucket; "
        "docs/uploads.md has the put-bucket-cors command"
    )


def complete(storage: S3Storage, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
    """Assemble the parts (number, ETag); :class:`PartsRefused` when the store will not."""
    try:
        storage.client.complete_multipart_upload(
            Bucket=storage.bucket,
            Key=storage._full_key(key),
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": number, "ETag": etag} for number, etag in parts]},
        )
    except ClientError as exc:
        if error_code(exc) in REFUSED_CODES:
            raise PartsRefused(f"the store refused the parts: {error_code(exc)}") from exc
        raise storage._bucket.error(exc, "complete the direct upload to", key) from exc
    except BotoCoreError as exc:
        raise storage._bucket.error(exc, "complete the direct upload to", key) from exc


def abort(storage: S3Storage, key: str, upload_id: str) -> None:
    """Abort the multipart upload (its parts are removed); one already gone is fine."""
    try:
        storage.client.abort_multipart_upload(Bucket=storage.bucket, Key=storage._full_key(key), UploadId=upload_id)
    except ClientError as exc:
        if error_code(exc) != "NoSuchUpload":
            raise storage._bucket.error(exc, "abort the direct upload to", key) from exc
    except BotoCoreError as exc:
        raise storage._bucket.error(exc, "abort the direct upload to", key) from exc


@dataclass(frozen=True)
class Fetched:
    """A stored object read once: a local copy, its size, SHA-256 and first 4 KiB."""

    path: Path
    size: int
    sha256: str
    head: bytes


def fetch(storage: S3Storage, key: str, *, tmp_dir: Path | None, max_bytes: int) -> Fetched:
    """Stream ``key`` to a temporary file, hashing as it comes (a 2xx from the store says nothing
    about the whole object's SHA-256: multipart checksums are composite).  Stops past
    ``max_bytes`` (the copy then holds ``max_bytes + 1`` bytes)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    handle = tempfile.NamedTemporaryFile(prefix="upload-", suffix=".part", dir=tmp_dir, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle, storage.open(key) as stream:
            while piece := stream.read(MIB):
                if size + len(piece) > max_bytes:
                    piece = piece[: max_bytes + 1 - size]
                size += len(piece)
                digest.update(piece)
                if len(head) < 4096:
                    head += piece[: 4096 - len(head)]
                handle.write(piece)
                if size > max_bytes:
                    break
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Fetched(path, size, digest.hexdigest(), head)


def upload_part(storage: S3Storage, key: str, upload_id: str, number: int, body: bytes) -> str:
    """Send one part of a multipart upload from Gallery itself (the tus spool in S3); its ETag."""
    response = storage._bucket.call(
        "upload a part to",
        key,
        storage.client.upload_part,
        Bucket=storage.bucket,
        Key=storage._full_key(key),
        UploadId=upload_id,
        PartNumber=number,
        Body=body,
        **storage._bucket.transport_checksum(body),
    )
    return str(response["ETag"])


def uploaded_parts(storage: S3Storage, key: str, upload_id: str) -> list[tuple[int, str, int]]:
    """The parts the store holds for the multipart upload: (number, ETag, size), by number."""
    found: list[tuple[int, str, int]] = []
    marker = 0
    while True:
        response = storage._bucket.call(
            "list the parts of",
            key,
            storage.client.list_parts,
            Bucket=storage.bucket,
            Key=storage._full_key(key),
            UploadId=upload_id,
            PartNumberMarker=marker,
        )
        found.extend((int(p["PartNumber"]), str(p["ETag"]), int(p["Size"])) for p in response.get("Parts", ()))
        if not response.get("IsTruncated"):
            return sorted(found)
        marker = int(response["NextPartNumberMarker"])


def put_small(storage: S3Storage, key: str, body: bytes) -> None:
    """Write a small object (a tus upload's unfinished tail) in one request."""
    storage._bucket.call(
        "write",
        key,
        storage.client.put_object,
        Bucket=storage.bucket,
        Key=storage._full_key(key),
        Body=body,
        ContentType="application/octet-stream",
        **storage._bucket.transport_checksum(body),
    )


def read_small(storage: S3Storage, key: str) -> bytes:
    """A small object's bytes (``NotFound`` when it is not there)."""
    with storage.open(key) as stream:
        return bytes(stream.read())
