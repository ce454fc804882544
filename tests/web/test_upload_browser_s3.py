"""The upload page with originals in S3, in headless Chromium (Debian's, driven by Playwright):
Uppy's @uppy/aws-s3 sends the bytes straight to the bucket (moto over HTTP on loopback, its global
CORS switched off so that only the bucket's own CORS rules let the page in), Gallery signs each
request and checks the assembled object.  Two files, one of whose parts fails once and is sent
again; the photos exist with the files' SHA-256, no request to Gallery carried more than a few KB,
no tus upload was made, and the bucket saw the parts come from the browser.  A completion whose
answer is lost is found assembled; a reload between parts resumes the same multipart upload."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from gallery.extensions import db
from gallery.models import Photo, Role
from gallery.uploads.models import Upload
from tests.archive.conftest import make_album
from tests.conftest import make_app, make_user
from tests.storage.s3server import make_s3_storage, moto_env
from tests.uploads.test_direct_s3 import RecordingMoto
from tests.web.test_upload_browser import BUNDLE, CHROMIUM, Site, open_upload, page, photo_file, stored

__all__ = ["page"]  # the browser tab, logged in as the photographer (tests/web/test_upload_browser.py)

pytestmark = pytest.mark.browser
KB = 1024


def bucket_cors(site_origin: str) -> dict[str, Any]:
    """What docs/uploads.md tells operators to set on the bucket."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": [site_origin],
                "AllowedMethods": ["GET", "PUT", "POST", "DELETE"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }


class BodyLog:
    """Gallery's WSGI app with a log of every request's path and body size."""

    def __init__(self, app: Any) -> None:
        self.inner = app.wsgi_app
        self.entries: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        app.wsgi_app = self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            self.entries.append(
                (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), int(environ.get("CONTENT_LENGTH") or 0))
            )
        return self.inner(environ, start_response)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make browser)")
    if not BUNDLE.exists():
        pytest.skip("the Uppy bundle is missing in gallery/static/vendor: run `make assets`")
    from moto.moto_server import werkzeug_app
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("upload-browser-s3")
    with pytest.MonkeyPatch.context() as patch:
        # Only the bucket's CORS rules answer the browser (moto otherwise allows every origin).
        patch.setattr(werkzeug_app, "DISABLE_GLOBAL_CORS", True)
        with RecordingMoto() as moto:
            for name, value in moto_env(moto.url).items():
                patch.setenv(name, value)
            bucket = make_s3_storage(moto.url)
            app = make_app(
                tmp,
                f"sqlite:///{tmp / 'browser-s3.db'}",
                GALLERY_STORAGE_URL=f"s3://{bucket.bucket}/media",
                GALLERY_S3_ENDPOINT_URL=moto.url,
            )
            with app.app_context():
                db.create_all()
                make_user(Role.photographer, email="photographer@example.org")
                make_album("browser-s3")
                make_album("browser-s3-lost", event_slug="browser-s3-lost-event")
                make_album("browser-s3-reload", event_slug="browser-s3-reload-event")
                db.session.remove()
            bodies = BodyLog(app)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            base_url = f"http://127.0.0.1:{server.server_port}"
            bucket.client.put_bucket_cors(Bucket=bucket.bucket, CORSConfiguration=bucket_cors(base_url))
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            files = {
                "one": photo_file(tmp, "s3-one.jpg", 12, 5),
                "two": photo_file(tmp, "s3-two.jpg", 3, 6),
                "lost": photo_file(tmp, "s3-lost.jpg", 2, 7),
                "reload": photo_file(tmp, "s3-reload.jpg", 20, 8),
            }
            try:
                found = Site(base_url, app, files)
                found.moto = moto  # type: ignore[attr-defined]
                found.bodies = bodies  # type: ignore[attr-defined]
                found.bucket = bucket  # type: ignore[attr-defined]
                yield found
            finally:
                server.shutdown()
                thread.join(timeout=10)
                with app.app_context():
                    db.engine.dispose()


def test_two_files_go_straight_to_the_bucket_one_part_sent_again(page: Any, site: Site) -> None:
    moto: RecordingMoto = site.moto  # type: ignore[attr-defined]
    bodies: BodyLog = site.bodies  # type: ignore[attr-defined]
    open_upload(page, site, "browser-s3")
    assert page.get_attribute("#uppy-upload", "data-path") == "direct"
    # The second part of the 12 MB file fails once (the bucket answers 500): Uppy sends it again.
    failed: list[str] = []

    def flaky(route: Any) -> None:
        request = route.request
        if request.method == "PUT" and "partNumber=2" in request.url and not failed:
            failed.append(request.url)
            route.fulfill(status=500, headers={"Access-Control-Allow-Origin": site.base_url}, body="")
        elif request.method == "POST":
            # moto answers CompleteMultipartUpload (a POST) without the CORS headers the bucket's
            # rules give every other answer (S3 itself adds them to every method the rules allow):
            # add the ones the bucket's rule names, or the browser could not read the answer.
            answer = route.fetch()
            headers = {**answer.headers, "access-control-allow-origin": site.base_url}
            route.fulfill(response=answer, headers={**headers, "access-control-expose-headers": "ETag"})
        else:
            route.continue_()

    page.route(f"{moto.url}/**", flaky)
    paths = [site.files["one"], site.files["two"]]
    moto.log.clear()
    page.set_input_files(
        "#uppy-dashboard input.uppy-Dashboard-input[type=file]:not([webkitdirectory])", [str(p) for p in paths]
    )
    page.wait_for_function(
        "() => document.getElementById('upload-counts').textContent.includes('Added: 2')", timeout=120_000
    )
    page.wait_for_function("() => window.galleryUppy.getFiles().every(f => f.progress.uploadComplete)")
    expected = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in paths)
    assert sorted(stored(site, "browser-s3")) == expected
    assert failed, "the flaky part was never sent"

    # The photos' originals are in the bucket, bit-exact; nothing is left in staging.
    bucket = site.bucket  # type: ignore[attr-defined]
    for path in paths:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        with bucket.open(f"media/originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}") as original:
            assert hashlib.sha256(original.read()).hexdigest() == sha
    assert not list(bucket.list("media/uploads/"))
    # The bytes went from the browser to the bucket: the parts' PUTs (8 MiB + 4 MiB + 3 MB, the
    # failed one's retry included) came from Chromium, and no request to Gallery carried a body
    # of more than a few KB.
    browser_puts = [e for e in moto.log if e.method == "PUT" and "Chrome" in e.agent and e.length > 0]
    assert sorted(e.length for e in browser_puts)[-1] == 8 * 1024 * 1024, browser_puts
    assert sum(e.length for e in browser_puts) >= sum(p.stat().st_size for p in paths)
    assert max(length for _method, _path, length in bodies.entries) < 16 * KB, sorted(
        bodies.entries, key=lambda e: -e[2]
    )[:3]
    assert any(path.endswith("/sign") for _m, path, _l in bodies.entries)
    with site.app.app_context():
        kinds = sorted(db.session.scalars(sa.select(Upload.kind)))
        codes = sorted(db.session.scalars(sa.select(Upload.status_code)))
        photos = db.session.scalar(sa.select(sa.func.count()).select_from(Photo))
        db.session.remove()
    assert kinds == ["direct", "direct"] and codes == [201, 201] and photos == 2  # no tus upload
    assert page.problems == []  # type: ignore[attr-defined]
    assert page.evaluate("window.__csp") == []  # the bucket's origin is in this page's connect-src

    # The same files again: already there, nothing sent.
    page.unroute(f"{moto.url}/**")
    moto.log.clear()
    page.evaluate("window.galleryUppy.cancelAll()")
    page.set_input_files(
        "#uppy-dashboard input.uppy-Dashboard-input[type=file]:not([webkitdirectory])", [str(p) for p in paths]
    )
    page.wait_for_function(
        "() => document.getElementById('upload-counts').textContent.includes('already there: 2')", timeout=60_000
    )
    assert not [e for e in moto.log if "Chrome" in e.agent]
    assert sorted(stored(site, "browser-s3")) == expected


def test_a_lost_answer_to_the_completion_is_found_assembled(page: Any, site: Site) -> None:
    """The bucket assembles the object but its answer never reaches the browser (nor the answers
    to @uppy/aws-s3's retries): resuming, the bucket no longer knows the multipart upload, and
    Gallery is asked to check the object that is there."""
    moto: RecordingMoto = site.moto  # type: ignore[attr-defined]
    open_upload(page, site, "browser-s3-lost")
    lost: list[str] = []

    def lose(route: Any) -> None:
        if route.request.method == "POST":
            route.fetch()  # the bucket completes the upload...
            lost.append(route.request.url)
            route.abort()  # ...and the answer is lost on the way
        else:
            route.continue_()

    page.route(f"{moto.url}/**", lose)
    path = site.files["lost"]
    page.set_input_files("#uppy-dashboard input.uppy-Dashboard-input[type=file]:not([webkitdirectory])", [str(path)])
    page.wait_for_function(
        "() => document.getElementById('upload-counts').textContent.includes('Added: 1')", timeout=120_000
    )
    assert lost
    assert stored(site, "browser-s3-lost") == [hashlib.sha256(path.read_bytes()).hexdigest()]
    assert "rejected: 0" in page.text_content("#upload-counts")
    page.unroute(f"{moto.url}/**")


def test_a_reload_in_the_middle_resumes_from_the_parts_in_the_bucket(page: Any, site: Site) -> None:
    """Golden Retriever keeps the file and its multipart upload: after a reload between parts,
    @uppy/aws-s3 lists the parts the bucket holds and sends only the others."""
    moto: RecordingMoto = site.moto  # type: ignore[attr-defined]
    bucket = site.bucket  # type: ignore[attr-defined]
    open_upload(page, site, "browser-s3-reload")
    path = site.files["reload"]  # 20 MiB: parts of 8, 8 and 4 MiB
    page.route(f"{moto.url}/**", lambda route: (time.sleep(0.5), route.continue_()))
    moto.log.clear()
    page.set_input_files("#uppy-dashboard input.uppy-Dashboard-input[type=file]:not([webkitdirectory])", [str(path)])
    deadline = time.monotonic() + 60
    held: list[int] = []
    while time.monotonic() < deadline and not held:
        with site.app.app_context():
            row = db.session.execute(
                sa.select(Upload.object_key, Upload.multipart_id).where(Upload.length == path.stat().st_size)
            ).first()
            db.session.remove()
        if row is not None:
            listed = bucket.client.list_parts(Bucket=bucket.bucket, Key=f"media/{row[0]}", UploadId=row[1])
            held = [part["PartNumber"] for part in listed.get("Parts", [])]
        page.wait_for_timeout(50)  # lets Playwright run the route handler meanwhile
    assert held and len(held) < 3, held
    page.unroute(f"{moto.url}/**")
    page.reload()
    page.wait_for_function("() => window.galleryUppy !== undefined", timeout=20_000)
    page.wait_for_function(
        "() => document.getElementById('upload-counts').textContent.includes('Added: 1')", timeout=120_000
    )
    assert stored(site, "browser-s3-reload") == [hashlib.sha256(path.read_bytes()).hexdigest()]
    sent = [e for e in moto.log if e.method == "PUT" and "Chrome" in e.agent and e.length > 0]
    # The part in flight at the reload may be sent again; the parts the bucket held are not.
    assert sum(e.length for e in sent) <= path.stat().st_size + 8 * 1024 * 1024
    with site.app.app_context():
        rows = db.session.execute(sa.select(Upload.status_code).where(Upload.length == path.stat().st_size)).all()
        db.session.remove()
    assert rows == [(201,)]  # the same direct upload went on, none started again
