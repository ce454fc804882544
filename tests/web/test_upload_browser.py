"""The upload page with Uppy in headless Chromium (Debian's, driven by Playwright), against a real
threaded server: three files sent as resumable tus uploads while the network is cut (Playwright's
offline mode) during the second and restored, all three arrive once; a reload in the middle of an
upload resumes it (Golden Retriever) instead of starting again.  Screenshots at 390×844 go to
``test-artifacts/``."""

from __future__ import annotations

import hashlib
import io
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from gallery.extensions import db
from gallery.models import Photo, Role
from gallery.uploads.models import Upload
from tests.archive.conftest import make_album
from tests.conftest import PASSWORD, make_app, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
BUNDLE = ROOT / "gallery" / "static" / "vendor" / "uppy" / "uppy.esm.js"
ARTIFACTS = ROOT / "test-artifacts"
MB = 1024 * 1024


@dataclass
class Site:
    base_url: str
    app: Any
    files: dict[str, Path]


def photo_file(folder: Path, name: str, megabytes: float, seed: int) -> Path:
    """A real small JPEG with incompressible bytes behind it (decoders stop at its end)."""
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (seed * 50 % 256, 120, 60)).save(out, "JPEG", quality=85)
    head = out.getvalue()
    path = folder / name
    path.write_bytes(head + random.Random(seed).randbytes(int(megabytes * MB) - len(head)))
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make browser)")
    if not BUNDLE.exists():
        message = "the Uppy bundle is missing in gallery/static/vendor: run `make assets`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("upload-browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'browser.db'}")
    with app.app_context():
        db.create_all()
        make_user(Role.photographer, email="photographer@example.org")
        make_album("browser-uploads")
        make_album("browser-reload", event_slug="browser-uploads-event")
        db.session.remove()
    files = {
        "first": photo_file(tmp, "first.jpg", 2, 1),
        "second": photo_file(tmp, "second.jpg", 40, 2),
        "third": photo_file(tmp, "third.jpg", 2, 3),
        "reload": photo_file(tmp, "reload.jpg", 14, 4),
    }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", app, files)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def page(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
        tab = context.new_page()
        tab.problems = []  # type: ignore[attr-defined]
        tab.on("pageerror", lambda exc: tab.problems.append(str(exc)))  # type: ignore[attr-defined]
        tab.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        tab.goto(f"{site.base_url}/login")
        tab.fill("input[name=email]", "photographer@example.org")
        tab.fill("input[name=password]", PASSWORD)
        tab.press("input[name=password]", "Enter")
        tab.wait_for_url("**/manage/**")
        try:
            yield tab
        finally:
            context.close()
            browser.close()


def open_upload(page: Any, site: Site, album: str) -> None:
    page.goto(f"{site.base_url}/manage/albums/{album}/upload")
    page.wait_for_function("() => window.galleryUppy !== undefined", timeout=20_000)
    assert page.is_hidden("#upload-form") and page.is_visible("#uppy-dashboard .uppy-Dashboard")


def stored(site: Site, album: str) -> list[str]:
    with site.app.app_context():
        rows = db.session.execute(
            sa.select(Photo.sha256).join(Photo.album).where(sa.text("albums.slug = :slug")), {"slug": album}
        )
        found = [sha for (sha,) in rows]
        db.session.remove()
    return found


def progress_of(page: Any, name: str) -> tuple[int, int]:
    return tuple(  # type: ignore[return-value]
        page.evaluate(
            """(name) => {
                 const f = window.galleryUppy.getFiles().find(f => f.name === name);
                 return f ? [f.progress.bytesUploaded || 0, f.size] : [0, 1];
               }""",
            name,
        )
    )


def test_network_cut_during_the_second_file_all_three_arrive_once(page: Any, site: Site) -> None:
    open_upload(page, site, "browser-uploads")
    paths = [site.files[n] for n in ("first", "second", "third")]
    page.set_input_files(
        "#uppy-dashboard input.uppy-Dashboard-input[type=file]:not([webkitdirectory])", [str(p) for p in paths]
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, total = progress_of(page, "second.jpg")
        if 0 < done < total:
            break
        time.sleep(0.01)
    done, total = progress_of(page, "second.jpg")
    assert 0 < done < total, "the second file was not in flight"
    page.context.set_offline(True)
    time.sleep(2.0)
    assert progress_of(page, "second.jpg")[0] < total  # nothing moves while offline
    page.context.set_offline(False)
    page.wait_for_selector("#upload-summary:not([hidden])", timeout=60_000)
    page.wait_for_function("() => window.galleryUppy.getFiles().every(f => f.progress.uploadComplete)", timeout=120_000)
    page.wait_for_function("() => document.getElementById('upload-counts').textContent.includes('Added: 3')")
    expected = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in paths)
    assert sorted(stored(site, "browser-uploads")) == expected  # each once
    assert page.get_attribute("#upload-captions", "href").endswith("/manage/albums/browser-uploads/photos")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-uppy-390.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]
    assert page.evaluate("window.__csp") == []  # Uppy runs under the site's Content-Security-Policy


def test_a_reload_in_the_middle_resumes(page: Any, site: Site) -> None:
    open_upload(page, site, "browser-reload")
    path = site.files["reload"]
    # Slow the chunks down so that the reload lands between them.
    page.route("**/api/v1/uploads/**", lambda route: (time.sleep(0.4), route.continue_()))
    page.set_input_files("#uppy-dashboard input.uppy-Dashboard-input[type=file]:not([webkitdirectory])", [str(path)])
    deadline = time.monotonic() + 60
    offset = 0
    while time.monotonic() < deadline and not offset:
        with site.app.app_context():
            offset = db.session.scalar(sa.select(Upload.offset).where(Upload.length == path.stat().st_size)) or 0
            db.session.remove()
        page.wait_for_timeout(50)  # lets Playwright run the route handler meanwhile
    assert 0 < offset < path.stat().st_size, offset
    page.unroute("**/api/v1/uploads/**")
    page.reload()
    page.wait_for_function("() => window.galleryUppy !== undefined", timeout=20_000)
    page.wait_for_function(
        "() => window.galleryUppy.getFiles().length === 1 && window.galleryUppy.getFiles()[0].progress.uploadComplete",
        timeout=120_000,
    )
    assert stored(site, "browser-reload") == [hashlib.sha256(path.read_bytes()).hexdigest()]
    with site.app.app_context():
        rows = db.session.execute(
            sa.select(Upload.offset, Upload.finished_at).where(Upload.length == path.stat().st_size)
        )
        uploads = list(rows)
        db.session.remove()
    assert len(uploads) == 1 and uploads[0][1] is not None  # the same upload went on, none started again
