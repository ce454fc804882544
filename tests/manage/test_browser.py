"""The management scripts in headless Chromium (Debian's, driven by Playwright): the photo
grid saves one photo at a time from the keyboard (Tab order caption → alt text → credit →
next photo, Ctrl+Enter, leaving a field) with an aria-live status; the report preview follows
the text; Move up / drag and drop save the manual order; choosing exact originals shows the
location warning.  No console errors, no CSP violations.  Screenshots go to test-artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Photo, Role
from gallery.photos.reorder import display_order
from tests.conftest import PASSWORD, make_app, make_token, make_user
from tests.test_roles import upload_jpeg

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
EMAIL = "editor@example.org"


@dataclass
class Site:
    app: Any
    base_url: str
    photos: list[int]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("manage-browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'browser.db'}", GALLERY_DERIVATIVE_SIZES="64,128")
    with app.app_context():
        db.create_all()
        editor = make_user(Role.editor, email=EMAIL)
        token = make_token(editor)
        event = catalog.create_event(
            db.session,
            slug="ecc",
            title="ECC",
            starts_on="2024-05-07",
            ends_on="2024-05-08",
            timezone="Europe/Brussels",
            actor=SYSTEM,
        )
        albums.create_album(db.session, event=event, slug="main", title="Main album", actor=SYSTEM)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    photos = []
    for seed in range(4):
        response = upload_jpeg(client, token, "main", 500 + seed)
        assert response.status_code == 201, response.get_data(as_text=True)
        photos.append(response.get_json()["id"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(app=app, base_url=f"http://127.0.0.1:{server.server_port}", photos=photos)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def page(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.problems = []  # type: ignore[attr-defined]
        tab.on("console", lambda m: m.type == "error" and tab.problems.append(m.text))  # type: ignore[attr-defined]
        tab.on("pageerror", lambda e: tab.problems.append(str(e)))  # type: ignore[attr-defined]
        tab.goto(site.base_url + "/login")
        tab.fill("input[name=email]", EMAIL)
        tab.fill("input[name=password]", PASSWORD)
        tab.press("input[name=password]", "Enter")
        tab.wait_for_url("**/manage/")
        yield tab
        browser.close()


def photo(site: Site, photo_id: int) -> Photo:
    with site.app.app_context():
        found = db.session.get(Photo, photo_id)
        assert found is not None
        db.session.expunge(found)
        return found


def no_problems(page: Any, expected: str | None = None) -> None:
    """No console errors (CSP violations are console errors), except the one the test caused."""
    problems = [p for p in page.problems if not (expected and expected in p)]
    page.problems.clear()
    assert problems == [], problems


def test_grid_keyboard_editing(site: Site, page: Any) -> None:
    page.goto(site.base_url + "/manage/albums/main/photos")
    first, second = site.photos[0], site.photos[1]
    page.focus(f"#caption-{first}")
    page.keyboard.type("Opening plenary")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"alt_text-{first}"
    page.keyboard.type("A full hall")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"credit-{first}"
    page.keyboard.type("Anna Nowak")
    page.keyboard.press("Control+Enter")
    status = page.locator(f"#photo-{first} .row-status")
    status.filter(has_text="Saved").wait_for()
    assert status.get_attribute("aria-live") == "polite"
    page.wait_for_function(f"document.activeElement.id === 'caption-{second}'")  # on to the next photo
    saved = photo(site, first)
    assert (saved.caption, saved.alt_text, saved.credit) == ("Opening plenary", "A full hall", "Anna Nowak")
    # leaving a changed field saves it too
    page.keyboard.type("Panel")
    page.keyboard.press("Tab")
    page.locator(f"#photo-{second} .row-status").filter(has_text="Saved").wait_for()
    assert photo(site, second).caption == "Panel"
    # an error shows next to the field, inline
    page.evaluate(f"document.getElementById('credit-{second}').removeAttribute('maxlength')")
    page.fill(f"#credit-{second}", "x" * 1001)
    page.press(f"#credit-{second}", "Enter")
    page.locator(f"#photo-{second} .row-status").filter(has_text="Not saved").wait_for()
    assert page.get_attribute(f"#credit-{second}", "aria-invalid") == "true"
    # "select all" selects the page's photos
    page.check("#select-all")
    assert page.locator("input[name=selected]:checked").count() == len(site.photos)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manage-grid.png"), full_page=True)
    no_problems(page, expected="status of 422")  # the browser logs the refused save


def test_report_live_preview(site: Site, page: Any) -> None:
    page.goto(site.base_url + "/manage/events/ecc/reports/new")
    page.fill("textarea[name=body]", "# Day one\n\n**Bold** text <script>alert(1)</script>\n\n[album main]")
    preview = page.locator("#report-preview")
    preview.locator("h2", has_text="Day one").wait_for()
    assert preview.locator("strong", has_text="Bold").count() == 1
    assert preview.locator("script").count() == 0
    assert "Main album" in preview.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manage-report.png"), full_page=True)
    no_problems(page)


def test_manual_order_buttons_and_drag(site: Site, page: Any) -> None:
    with site.app.app_context():
        before = display_order(db.session, albums.get_album(db.session, "main"))
    page.goto(site.base_url + "/manage/albums/main/order")
    page.click(f'.order-item[data-photo-id="{before[1]}"] button.move-up')
    page.locator("#order-status").filter(has_text="Order saved.").wait_for()
    with site.app.app_context():
        after = display_order(db.session, albums.get_album(db.session, "main"))
    assert after == [before[1], before[0], *before[2:]]
    page.evaluate("document.getElementById('order-status').textContent = ''")
    page.drag_and_drop(
        f'.order-item[data-photo-id="{before[3]}"]',
        f'.order-item[data-photo-id="{before[1]}"]',
        target_position={"x": 5, "y": 2},
    )
    page.locator("#order-status").filter(has_text="Order saved.").wait_for()
    with site.app.app_context():
        dragged = display_order(db.session, albums.get_album(db.session, "main"))
    assert dragged[0] == before[3] and sorted(dragged) == sorted(before)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manage-order.png"), full_page=True)
    no_problems(page)


def test_exact_originals_warning_appears_when_chosen(site: Site, page: Any) -> None:
    page.goto(site.base_url + "/manage/albums/main/edit")
    warning = page.locator("#exact-warning")
    assert warning.is_hidden()
    page.check("input[name=original_downloads][value=exact]")
    assert warning.is_visible() and "location data" in warning.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manage-album-exact.png"), full_page=True)
    page.check("input[name=original_downloads][value=off]")
    assert warning.is_hidden()
    no_problems(page)
