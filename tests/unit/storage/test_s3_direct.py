"""gallery/storage/s3_direct.py: multipart uploads the client fills through presigned part URLs
(moto over HTTP; the client side is plain ``requests``)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import requests

from gallery.storage import ChecksumMismatch, NotFound, S3Storage, Storage
from gallery.storage.s3_direct import (
    MAX_DIRECT_PART,
    MIB,
    MIN_DIRECT_PART,
    PartsRefused,
    abort,
    browser_origin,
    complete,
    cors_problem,
    fetch,
    part_count,
    part_size_for,
    part_urls,
    presign,
    put_small,
    read_small,
    start,
    upload_part,
    uploaded_parts,
)


def test_part_sizes_follow_the_file_size() -> None:
    assert part_size_for(1) == MIN_DIRECT_PART and part_size_for(128 * MIB) == MIN_DIRECT_PART
    assert part_size_for(200 * MIB) == 13 * MIB  # about 16 parts, whole MiB
    assert part_size_for(10 * 1024 * MIB) == MAX_DIRECT_PART
    assert part_count(1, MIN_DIRECT_PART) == 1 and part_count(16 * MIB + 1, 8 * MIB) == 3


def put(urls: list[str], data: bytes, size: int) -> list[tuple[int, str]]:
    etags = []
    for number, url in enumerate(urls, start=1):
        answer = requests.put(url, data=data[(number - 1) * size : number * size], timeout=60)
        assert answer.status_code == 200, answer.text
        etags.append((number, answer.headers["ETag"]))
    return etags


def test_start_put_complete_fetch(s3: S3Storage, big_blob: bytes, tmp_path: Path) -> None:
    data = big_blob[: 9 * MIB]
    upload_id = start(s3, "uploads/direct/one", content_type="application/octet-stream")
    urls = part_urls(s3, "uploads/direct/one", upload_id, count=2, expires=3600)
    assert all("partNumber=" in url and "X-Amz-Signature=" in url for url in urls)
    complete(s3, "uploads/direct/one", upload_id, put(urls, data, 8 * MIB))
    fetched = fetch(s3, "uploads/direct/one", tmp_dir=tmp_path, max_bytes=len(data))
    assert (fetched.size, fetched.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert fetched.path.read_bytes() == data and fetched.head == data[:4096]
    short = fetch(s3, "uploads/direct/one", tmp_dir=tmp_path, max_bytes=MIB)  # stops past the limit
    assert short.size == MIB + 1


def test_wrong_etags_are_refused_and_abort_removes_the_parts(s3: S3Storage, big_blob: bytes) -> None:
    upload_id = start(s3, "uploads/direct/two", content_type="application/octet-stream")
    urls = part_urls(s3, "uploads/direct/two", upload_id, count=1, expires=10)
    put(urls, big_blob[:MIB], 8 * MIB)
    with pytest.raises(PartsRefused):
        complete(s3, "uploads/direct/two", upload_id, [(1, '"00000000000000000000000000000000"')])
    abort(s3, "uploads/direct/two", upload_id)
    abort(s3, "uploads/direct/two", upload_id)  # already gone: fine
    assert s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []
    with pytest.raises(NotFound):
        s3.stat("uploads/direct/two")


def test_copy_on_every_backend(storage: Storage) -> None:
    """``copy``: S3 copies inside the bucket, the others read and write (verified like ``put``)."""
    data = b"a photo's bytes"
    digest = hashlib.sha256(data).hexdigest()
    storage.put("uploads/direct/three", io.BytesIO(data), sha256=digest, content_type="image/jpeg")
    record = storage.copy(
        "uploads/direct/three", "originals/x", sha256=digest, content_type="image/jpeg", size=len(data)
    )
    assert record.size == len(data)
    with storage.open("originals/x") as copied:
        assert copied.read() == data
    with pytest.raises(ChecksumMismatch):
        storage.copy("uploads/direct/three", "originals/y", sha256=digest, content_type="image/jpeg", size=1)


def test_parts_sent_by_gallery_listed_and_small_objects(s3: S3Storage, big_blob: bytes) -> None:
    upload_id = start(s3, "uploads/tus/k/object", content_type="application/octet-stream")
    first = upload_part(s3, "uploads/tus/k/object", upload_id, 1, big_blob[: 5 * MIB])
    upload_part(s3, "uploads/tus/k/object", upload_id, 2, b"stale")
    second = upload_part(s3, "uploads/tus/k/object", upload_id, 2, b"last")  # sent again: the last copy counts
    assert uploaded_parts(s3, "uploads/tus/k/object", upload_id) == [(1, first, 5 * MIB), (2, second, 4)]
    complete(s3, "uploads/tus/k/object", upload_id, [(1, first), (2, second)])
    with s3.open("uploads/tus/k/object") as stream:
        assert stream.read() == big_blob[: 5 * MIB] + b"last"
    put_small(s3, "uploads/tus/k/tail-4", b"tail")
    assert read_small(s3, "uploads/tus/k/tail-4") == b"tail"
    with pytest.raises(NotFound):
        read_small(s3, "uploads/tus/k/tail-5")


def test_every_request_a_browser_makes_through_presigned_urls(s3: S3Storage, big_blob: bytes, tmp_path: Path) -> None:
    """What the upload page's @uppy/aws-s3 does with the URLs Gallery signs: PUT the parts, list
    them, complete the upload in the bucket; or abort it."""
    data = big_blob[: 9 * MIB]
    key = "uploads/direct/browser"
    upload_id = start(s3, key, content_type="application/octet-stream")
    etags = []
    for number in (1, 2):
        url = presign(s3, key, upload_id, "upload_part", part_number=number, expires=600)
        answer = requests.put(url, data=data[(number - 1) * 8 * MIB : number * 8 * MIB], timeout=60)
        assert answer.status_code == 200, answer.text
        etags.append(answer.headers["ETag"])
    listed = requests.get(presign(s3, key, upload_id, "list_parts", expires=600), timeout=60)
    assert listed.status_code == 200 and listed.text.count("<PartNumber>") == 2 and etags[1] in listed.text
    body = (
        "<CompleteMultipartUpload>"
        + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in enumerate(etags, start=1)
        )
        + "</CompleteMultipartUpload>"
    )
    done = requests.post(
        presign(s3, key, upload_id, "complete", expires=600),
        data=body,
        headers={"Content-Type": "application/xml"},
        timeout=60,
    )
    assert done.status_code == 200 and "<Key>" in done.text, done.text
    fetched = fetch(s3, key, tmp_dir=tmp_path, max_bytes=len(data))
    assert fetched.sha256 == hashlib.sha256(data).hexdigest()

    other = start(s3, "uploads/direct/dropped", content_type="application/octet-stream")
    assert requests.delete(presign(s3, "uploads/direct/dropped", other, "abort", expires=10), timeout=60).ok
    assert s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", []) == []
    # A URL names its object, its upload and its part: it cannot be turned to another.
    url = presign(s3, key, upload_id, "upload_part", part_number=3, expires=600)
    assert f"uploadId={upload_id}" in url and "partNumber=3" in url and "browser" in url


def test_the_browser_origin_is_where_presigned_urls_point(s3: S3Storage) -> None:
    origin = browser_origin(s3)
    assert s3.url("originals/x").startswith(origin + "/")
    assert origin.startswith("http://127.0.0.1:") and origin.count("/") == 2


def test_the_bucket_cors_rules_the_upload_page_needs(s3: S3Storage) -> None:
    site = "https://gallery.example.org"
    missing = cors_problem(s3, site)  # no CORS configuration at all
    assert missing is not None and "GET, PUT, POST, DELETE" in missing and "put-bucket-cors" in missing
    rule = {
        "AllowedOrigins": [site],
        "AllowedMethods": ["GET", "PUT", "POST", "DELETE"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],
    }
    s3.client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [rule]})
    assert cors_problem(s3, site) is None
    assert cors_problem(s3, "https://other.example.org") is not None  # another site
    wildcard = {**rule, "AllowedOrigins": ["https://*.example.org"]}
    s3.client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [wildcard]})
    assert cors_problem(s3, site) is None
    for broken, what in (
        ({**rule, "ExposeHeaders": []}, "PUT"),  # the page could not read a part's ETag
        ({**rule, "AllowedHeaders": ["x-amz-date"]}, "POST"),  # the completion's Content-Type
        ({**rule, "AllowedMethods": ["GET", "PUT", "POST"]}, "DELETE"),
    ):
        s3.client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": [broken]})
        problem = cors_problem(s3, site)
        assert problem is not None and f"let {site} {what} (" in problem, problem
    # Two rules between them cover every request.
    split = [{**rule, "AllowedMethods": ["GET", "PUT"]}, {**rule, "AllowedMethods": ["POST", "DELETE"]}]
    s3.client.put_bucket_cors(Bucket=s3.bucket, CORSConfiguration={"CORSRules": split})
    assert cors_problem(s3, site) is None
