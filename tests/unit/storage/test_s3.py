"""gallery.storage.s3: S3Storage's own behaviour on a moto server: one-request uploads and the
multipart threshold, prefixes, listing pages, construction, key length and URL expiry."""

from __future__ import annotations

import boto3
import pytest

from gallery.storage import (
    InvalidKey,
    S3Storage,
)
from tests.storage.helpers import (
    S3_TEST_THRESHOLD,
    all_bucket_keys,
    b64sha,
    put_bytes,
    record_requests,
    sha,
)
from tests.storage.s3server import (
    REGION,
    make_s3_storage,
)


def test_small_put_sends_sha256_checksum_and_metadata(s3: S3Storage) -> None:
    sent = record_requests(s3)
    put_bytes(s3, "k.jpg", b"jpeg bytes", content_type="image/jpeg")
    method, url, headers = sent[0]
    assert method == "PUT" and url.endswith(f"/{s3.bucket}/media/k.jpg")
    assert headers["x-amz-checksum-sha256"] == b64sha(b"jpeg bytes")
    assert headers["x-amz-meta-sha256"] == sha(b"jpeg bytes")
    assert headers["content-type"] == "image/jpeg"
    assert "x-amz-checksum-crc32" not in headers


def test_upload_exactly_at_threshold_is_multipart(s3: S3Storage, big_blob: bytes) -> None:
    data = big_blob[:S3_TEST_THRESHOLD]
    sent = record_requests(s3)
    put_bytes(s3, "edge", data)
    assert sum(1 for m, u, _ in sent if m == "PUT" and "partNumber=" in u) == 1
    assert b"".join(s3.iter_bytes("edge")) == data


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
    requests = record_requests(store)
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
