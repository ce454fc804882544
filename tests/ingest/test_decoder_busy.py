"""GALLERY_DECODE_BUDGET_MP / GALLERY_DECODE_WAIT_SECONDS: validated at start-up, wired into the
process's decoding budget; an upload that finds no room in time is 503 with Retry-After and
leaves nothing behind; the CLI import waits its turn instead."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from gallery.config import ConfigError, load_settings
from gallery.core.errors import DecoderBusy
from gallery.extensions import db
from gallery.media import budget
from gallery.models import Photo, PhotoStatus
from tests.conftest import csrf_from, login
from tests.ingest.conftest import upload


def png(colour: tuple[int, int, int], size: tuple[int, int] = (600, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


# --- configuration ------------------------------------------------------------------------------


def test_budget_defaults_and_validation(tmp_path: Path) -> None:
    env = {"GALLERY_INSTANCE_PATH": str(tmp_path / "instance")}
    settings = load_settings(env)
    assert settings.decode_budget_mp == 150 and settings.decode_wait_seconds == 30
    assert settings.describe()["GALLERY_DECODE_BUDGET_MP"] == "150"
    # A larger pixel limit raises the default budget with it: every allowed image fits.
    assert load_settings({**env, "GALLERY_MAX_PIXELS": "200000000"}).decode_budget_mp == 200
    assert (
        load_settings(
            {**env, "GALLERY_DECODE_BUDGET_MP": "400", "GALLERY_DECODE_WAIT_SECONDS": "5"}
        ).decode_wait_seconds
        == 5
    )
    with pytest.raises(ConfigError) as info:
        load_settings({**env, "GALLERY_DECODE_BUDGET_MP": "100"})
    assert str(info.value) == (
        "GALLERY_DECODE_BUDGET_MP=100 is below GALLERY_MAX_PIXELS=150000000 (150 MP): an image at the "
        "pixel limit could never be decoded; use at least 150, or lower GALLERY_MAX_PIXELS"
    )
    for name, value in (("GALLERY_DECODE_BUDGET_MP", "lots"), ("GALLERY_DECODE_WAIT_SECONDS", "-1")):
        with pytest.raises(ConfigError, match=name):
            load_settings({**env, name: value})


@pytest.mark.app_config(GALLERY_MAX_PIXELS="20000000", GALLERY_DECODE_BUDGET_MP="25", GALLERY_DECODE_WAIT_SECONDS="0.3")
def test_create_app_configures_the_process_budget(app) -> None:
    assert (budget.current().capacity_mp, budget.current().wait_seconds) == (25, 0.3)


# --- 503 when the budget stays full -------------------------------------------------------------


@pytest.mark.app_config(GALLERY_DECODE_WAIT_SECONDS="0.3")
def test_upload_finding_no_room_is_503_with_retry_after_and_nothing_stored(app, client, tokens, album):
    pool = budget.current()
    with pool.reserve(pool.capacity_mp):  # other decodes hold the whole budget
        started = time.monotonic()
        response = upload(client, tokens["editor"], album.slug, png((1, 2, 3)), "busy.png")
        waited = time.monotonic() - started
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] == "1"
    error = response.get_json()["error"]
    assert error["code"] == "decoder_busy" and "try" in error["message"]
    assert 0.3 <= waited < 5
    storage = app.extensions["gallery_storage"]
    assert [o.key for o in storage.list("")] == []
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    tmp = app.config["GALLERY_SETTINGS"].instance_path / "tmp"
    assert list(tmp.iterdir()) == []
    # With room again, the same file is accepted.
    again = upload(client, tokens["editor"], album.slug, png((1, 2, 3)), "busy.png")
    assert again.status_code == 201 and again.get_json()["status"] == "ready"


@pytest.mark.app_config(GALLERY_DECODE_WAIT_SECONDS="0.3")
def test_upload_page_says_the_server_is_busy_and_to_retry_in_english_and_polish(app, client, users, album):
    login(client, users["photographer"].email)
    token = csrf_from(client.get(f"/manage/albums/{album.slug}/upload").get_data(as_text=True))

    def post(*, json: bool, lang: str = "en") -> Any:
        client.set_cookie("lang", lang)
        headers = {"X-CSRFToken": token, **({"Accept": "application/json"} if json else {})}
        return client.post(
            f"/manage/albums/{album.slug}/upload",
            data={"files": (io.BytesIO(png((4, 5, 6))), "zajety.png")},
            headers=headers,
            content_type="multipart/form-data",
        )

    pool = budget.current()
    with pool.reserve(pool.capacity_mp):  # other decodes hold the whole budget
        answer = post(json=True)
        page = post(json=False)
        polish = post(json=False, lang="pl")
    # the drag-and-drop script's answer for that file: 503 with Retry-After, not "rejected"
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    result = answer.get_json()["results"][0]
    assert result["outcome"] == "busy" and result["filename"] == "zajety.png" and result["photo_id"] is None
    assert (
        result["message"]
        == "The server is busy with other large images; nothing was saved. Please try again in 1 seconds."
    )
    # the plain form: the file's row and the summary say so, in the visitor's language
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="result-busy"' in html
    assert "Please try again in 1 seconds." in html and "server busy, nothing saved — send these again: 1" in html
    assert "rejected: 0" in html
    text = polish.get_data(as_text=True)
    assert "Spróbuj ponownie za 1 s." in text and "serwer zajęty, nic nie zapisano — prześlij je ponownie: 1" in text
    # nothing was kept
    assert [o.key for o in app.extensions["gallery_storage"].list("")] == []
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert list((app.config["GALLERY_SETTINGS"].instance_path / "tmp").iterdir()) == []
    # with room again, the same file is added
    client.set_cookie("lang", "en")
    again = post(json=True)
    assert again.status_code == 200 and again.get_json()["results"][0]["outcome"] == "added"


def test_html_pages_answer_503_with_retry_after_in_the_visitor_language(app, client):
    def busy() -> str:
        raise DecoderBusy(retry_after=7)

    app.add_url_rule("/_test/busy", view_func=busy)
    response = client.get("/_test/busy", headers={"Accept-Language": "pl"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert "text/html" in response.content_type
    assert "Spróbuj ponownie za 7 s." in response.get_data(as_text=True)


# --- the CLI import waits instead -------------------------------------------------------------


@pytest.mark.app_config(GALLERY_DECODE_WAIT_SECONDS="0")
def test_cli_import_jobs_take_turns_in_the_budget_without_a_wait_limit(app, album, tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    for n in range(4):
        (folder / f"IMG_{n}.png").write_bytes(png((n, 100, 200)))
    pool = budget.current()
    held = threading.Event()

    def hold_for_a_while() -> None:
        with pool.reserve(pool.capacity_mp):
            held.set()
            time.sleep(1.0)

    holder = threading.Thread(target=hold_for_a_while)
    holder.start()
    held.wait(5)
    result = app.test_cli_runner().invoke(args=["gallery", "import", str(folder), "--album", album.slug, "--jobs", "3"])
    holder.join()
    assert result.exit_code == 0, result.output
    assert "added: 4, already there: 0, rejected: 0" in result.output
    db.session.rollback()
    assert [p.status for p in db.session.scalars(select(Photo))] == [PhotoStatus.ready] * 4
