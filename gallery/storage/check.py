"""``run_storage_check``: prove that a configured store works end to end (``gallery storage-check``)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from gallery.storage.base import NotFound, Storage, StorageError

__all__ = ["CHECK_PREFIX", "run_storage_check"]

CHECK_PREFIX = "_storage-check/"
_FETCH_TIMEOUT = 15.0


class _CheckFailed(Exception):
    """A step ran but its result was wrong."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (StorageError, _CheckFailed)):
        return str(exc)
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason} when fetching the URL"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot fetch the URL: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"


def run_storage_check(
    storage: Storage,
    *,
    create_bucket: bool = False,
    site_origin: str | None = None,
    report: Callable[[str], None] = print,
) -> bool:
    """Exercise ``storage`` with a small random object and report each step on its own line.

    Steps: ``bucket`` (S3 only: create it when ``create_bucket``, else check it exists), ``cors``
    (S3 with ``site_origin``: the bucket's CORS rules let the upload page at that origin send
    photos straight to the bucket; see :func:`gallery.storage.s3_direct.cors_problem`), ``put``,
    ``stat``, ``get``, ``range``, ``list``, ``url`` (a presigned URL is fetched and compared; a store
    without URLs reports that the app serves files itself), ``delete``, ``gone``. Lines look like
    ``ok   put    (12 ms)`` or ``FAIL put: <reason>``; steps that cannot run are reported as
    ``skip``. Returns ``True`` only if every step passed. Storage failures are reported, never
    raised, and the test object (under ``_storage-check/``) is always deleted if it may exist.
    """
    all_ok = True

    def step(name: str, action: Callable[[], str | None]) -> bool:
        nonlocal all_ok
        started = time.perf_counter()
        try:
            detail = action()
        except Exception as exc:  # noqa: BLE001 - a check reports failures, it does not raise them
            all_ok = False
            report(f"FAIL {name}: {_reason(exc)}")
            return False
        elapsed = (time.perf_counter() - started) * 1000
        line = f"ok   {name:<6} ({elapsed:.0f} ms)"
        report(f"{line}  {detail}" if detail else line)
        return True

    def skip(names: list[str], why: str) -> None:
        nonlocal all_ok
        all_ok = False
        for name in names:
            report(f"skip {name}: {why}")

    key = f"{CHECK_PREFIX}{uuid.uuid4().hex}"
    payload = os.urandom(4096) + b"\ngallery storage check\n"
    digest = hashlib.sha256(payload).hexdigest()
    rest = ["put", "stat", "get", "range", "list", "url", "delete", "gone"]

    s3_bucket: Any = storage
    if hasattr(s3_bucket, "check_bucket") and hasattr(s3_bucket, "create_bucket"):

        def bucket() -> str:
            if create_bucket:
                return "created" if s3_bucket.create_bucket() else "already exists"
            s3_bucket.check_bucket()
            return "exists"

        if not step("bucket", bucket):
            skip(rest, "the bucket is not usable")
            return False
        if site_origin is not None:

            def cors() -> str:
                from gallery.storage import s3_direct  # boto3 only when an S3 store is checked

                problem = s3_direct.cors_problem(s3_bucket, site_origin)
                if problem is not None:
                    raise _CheckFailed(problem)
                return f"the upload page at {site_origin} may send photos straight to the bucket"

            step("cors", cors)

    def put() -> str:
        record = storage.put(
            key, io.BytesIO(payload), sha256=digest, content_type="application/octet-stream", size=len(payload)
        )
        if record.size != len(payload):
            raise _CheckFailed(f"stored {record.size} bytes instead of {len(payload)}")
        return key

    def stat() -> None:
        record = storage.stat(key)
        if record.size != len(payload):
            raise _CheckFailed(f"size is {record.size}, expected {len(payload)}")
        if record.sha256 is not None and record.sha256 != digest:
            raise _CheckFailed(f"recorded SHA-256 {record.sha256} differs from {digest}")
        if record.last_modified.tzinfo is None:
            raise _CheckFailed("last_modified has no time zone")

    def get() -> None:
        with storage.open(key) as fh:
            data = fh.read()
        if data != payload:
            raise _CheckFailed(f"read back {len(data)} bytes that differ from the {len(payload)} written")

    def byte_range() -> None:
        data = b"".join(storage.iter_bytes(key, start=100, end=1099))
        if data != payload[100:1100]:
            raise _CheckFailed("bytes 100-1099 differ from what was written")

    def listing() -> None:
        keys = [obj.key for obj in storage.list(key)]
        if keys != [key]:
            raise _CheckFailed(f"listing the prefix {key!r} returned {keys!r}")

    def url() -> str:
        link = storage.url(key, filename="storage-check.bin", content_type="application/octet-stream")
        public_base = getattr(storage, "public_base_url", None)
        note = f"; public URLs start with {public_base}/ (not fetched)" if public_base else ""
        if link is None:
            return "none: the app serves files itself" + note
        if not link.startswith(("http://", "https://")):
            raise _CheckFailed(f"not an http(s) URL: {link!r}")
        with urllib.request.urlopen(link, timeout=_FETCH_TIMEOUT) as response:
            data = response.read()
        if data != payload:
            raise _CheckFailed(f"the URL served {len(data)} bytes that differ from the object")
        return "signed URL downloaded and verified" + note

    def delete() -> None:
        storage.delete(key)

    def gone() -> None:
        if storage.exists(key):
            raise _CheckFailed("the object still exists after delete")
        try:
            storage.stat(key)
        except NotFound:
            return
        raise _CheckFailed("stat still finds the object after delete")

    deleted = False
    try:
        if not step("put", put):
            skip(rest[1:], "nothing was stored")
            return False
        step("stat", stat)
        step("get", get)
        step("range", byte_range)
        step("list", listing)
        step("url", url)
        deleted = step("delete", delete)
        if deleted:
            step("gone", gone)
        else:
            skip(["gone"], "delete failed")
    finally:
        if not deleted:
            with contextlib.suppress(Exception):  # best effort; the failure was already reported
                storage.delete(key)
    return all_ok
