"""The takedown form in headless Chromium (Debian's, driven by Playwright): a visitor draws one box
with the mouse and adds another with the keyboard only, sends the request, and the editor sees
both boxes drawn over the photo in the queue.  No console errors, no CSP violations; screenshots
go to ``test-artifacts/``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gallery.consent.models import TakedownRequest
from gallery.extensions import db
from gallery.models import Photo, Role
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import PASSWORD, make_app, make_token, make_user
from tests.web.test_browser import CHROMIUM, Watched

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Site:
    base_url: str
    photo_id: int
    editor: str
    app: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make browser)")
    from werkzeug.serving import make_server

    tmp = tmp_path_factory.mktemp("takedown-browser")
    app = make_app(tmp, f"sqlite:///{tmp / 'browser.db'}", GALLERY_DERIVATIVE_SIZES="400,1024")
    with app.app_context():
        db.create_all()
        editor = make_user(Role.editor)
        token = make_token(editor)
        make_album("browser-takedown")
        photo_id = add_photo(app.test_client(), token, "browser-takedown", jpeg(31, (1200, 800)), "crowd.jpg")
        email = editor.email
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(base_url=f"http://127.0.0.1:{server.server_port}", photo_id=photo_id, editor=email, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def chromium(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def test_the_lightbox_offers_the_request(site: Site, chromium: Any) -> None:
    visitor = Watched(chromium, (1280, 900))
    page = visitor.page
    page.goto(f"{site.base_url}/albums/browser-takedown", wait_until="networkidle")
    page.locator("a.tile-link").first.click()
    link = page.locator("a.pswp__takedown")
    link.wait_for(state="visible")
    assert link.inner_text() == "Request removal or blurring"
    href = link.get_attribute("href") or ""
    assert href.endswith(f"/albums/browser-takedown/photos/{site.photo_id}/takedown")
    link.click()
    page.wait_for_selector("#takedown-photo")
    visitor.check_clean()
    visitor.close()


def test_a_visitor_draws_boxes_and_the_editor_sees_them(site: Site, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    visitor = Watched(chromium, (1280, 900))
    page = visitor.page
    page.goto(f"{site.base_url}/albums/browser-takedown/photos/{site.photo_id}", wait_until="networkidle")
    page.get_by_role("link", name="Request removal or blurring").click()
    page.wait_for_selector("#takedown-photo")
    page.wait_for_function("document.getElementById('takedown-photo').complete")

    # The mouse: drag a box over the upper left quarter of the photo.
    box = page.locator("#takedown-photo").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.35, steps=5)
    page.mouse.up()
    assert page.locator(".takedown-box").count() == 1
    assert page.locator('input[name="action"][value="blur"]').is_checked()  # drawing chose "blur"

    # The keyboard only: focus "Add a box", press Enter, move the new box right and make it larger.
    page.locator("[data-add-box]").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.classList.contains('takedown-box')")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.locator("#reason").fill("The two people on the left")
    page.screenshot(path=str(ARTIFACTS / "takedown-form.png"))
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_selector("text=Thank you")
    visitor.check_clean()
    visitor.close()

    with site.app.app_context():
        filed = db.session.query(TakedownRequest).one()
        boxes = filed.boxes
        hidden = db.session.get(Photo, site.photo_id).hidden_reason
        db.session.remove()
    assert len(boxes) == 2 and hidden is not None
    drawn, added = boxes
    assert drawn["x"] == pytest.approx(0.1, abs=0.02) and drawn["w"] == pytest.approx(0.2, abs=0.02)
    assert added == pytest.approx({"x": 0.5, "y": 0.4, "w": 0.2, "h": 0.22})

    editor = Watched(chromium, (1280, 900))
    page = editor.page
    page.goto(f"{site.base_url}/login", wait_until="networkidle")
    page.fill("#email", site.editor)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.base_url}/manage/takedowns", wait_until="networkidle")
    request = page.locator(f"#request-{filed.id}")
    assert request.locator(".takedown-box").count() == 2
    assert page.evaluate(f"document.querySelector('#request-{filed.id} img').naturalWidth") > 0  # signed URL loads
    page.screenshot(path=str(ARTIFACTS / "takedown-queue.png"), full_page=True)
    editor.check_clean()
    editor.close()
