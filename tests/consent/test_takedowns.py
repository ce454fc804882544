"""Takedown requests end to end (issue 10), on SQLite and PostgreSQL: a visitor asks through the
API or the form, the photo is hidden at once and gone from every surface, an editor decides
(restore brings it back; hide keeps it hidden; erase removes every trace and the same bytes are
refused until an admin lifts the tombstone); the shared rate limit, the honeypot, the hourly cap
of automatic hides, and the retention of the requester's e-mail."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gallery.consent.models import TakedownRequest, TakedownStatus, Tombstone
from gallery.extensions import db
from gallery.models import AuditLog, HiddenReason, Photo, Role, utcnow
from tests.archive.conftest import add_photo, cli, jpeg, make_album, storage_of, upload
from tests.conftest import csrf_from, login, make_token, make_user

ALBUM = "consent-album"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ask(client: FlaskClient, photo_id: int, action: str = "hide", **extra: Any) -> Any:
    return client.post(f"/api/v1/photos/{photo_id}/takedown-requests", json={"action": action, **extra})


def decide(client: FlaskClient, token: str, request_id: int, action: str, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/takedown-requests/{request_id}/decision", json={"action": action, **extra}, headers=bearer(token)
    )


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> dict[str, Any]:
    editor, admin = make_user(Role.editor), make_user(Role.admin)
    make_album(ALBUM)
    tokens = {"editor": make_token(editor), "admin": make_token(admin)}
    keep = add_photo(client, tokens["editor"], ALBUM, jpeg(1), "keep.jpg")
    asked = add_photo(client, tokens["editor"], ALBUM, jpeg(2), "asked.jpg")
    for photo_id in (keep, asked):  # both found by a search for "zebra"
        edited = client.patch(
            f"/api/v1/photos/{photo_id}", json={"caption": "Zebra crossing"}, headers=bearer(tokens["editor"])
        )
        assert edited.status_code == 200
    return {"tokens": tokens, "keep": keep, "asked": asked, "bytes": jpeg(2), "editor_email": editor.email}


def surfaces(client: FlaskClient, photo_id: int, filename: str) -> dict[str, bool]:
    """Whether each surface shows the photo, as an anonymous visitor sees it."""
    photo_path = f"/albums/{ALBUM}/photos/{photo_id}"
    album_page = client.get(f"/albums/{ALBUM}").get_data(as_text=True)
    api_album = client.get(f"/api/v1/albums/{ALBUM}").get_json()
    api_photos = client.get(f"/api/v1/albums/{ALBUM}/photos").get_json()
    archive = client.get(f"/albums/{ALBUM}/download.zip")
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as bundle:
        zipped = any(filename.rsplit(".", 1)[0] in name for name in bundle.namelist())
    embed_album = client.get(f"/embed/albums/{ALBUM}").get_data(as_text=True)
    oembed = client.get(f"/oembed?url=http%3A%2F%2Flocalhost{photo_path.replace('/', '%2F')}&format=json")
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    found = client.get("/api/v1/search?q=zebra").get_json()
    return {
        "photo page": client.get(photo_path).status_code == 200,
        "photo download": client.get(f"{photo_path}/download").status_code == 200,
        "album page": f'href="{photo_path}' in album_page,
        "api photo": client.get(f"/api/v1/photos/{photo_id}").status_code == 200,
        "api album": photo_id in [p["id"] for p in api_album["photos"]],
        "api album photos": photo_id in [p["id"] for p in api_photos["items"]],
        "album zip": zipped,
        "embed album": f"/photos/{photo_id}" in embed_album,
        "embed photo": client.get(f"/embed/photos/{photo_id}").status_code == 200,
        "live album": photo_id in [p["id"] for p in client.get(f"/albums/{ALBUM}/live.json").get_json()["photos"]],
        "oembed": oembed.status_code == 200,
        "sitemap": photo_path in sitemap,
        "search": photo_id in [p["id"] for p in found["photos"]],
    }


def cover_shows(client: FlaskClient, photo_id: int) -> bool:
    """Whether the album's cover on the event page is the photo (one of its web sizes)."""
    page = client.get(f"/events/{ALBUM}-event").get_data(as_text=True)
    return any(d.key.split("/", 1)[1] in page for d in db.session.get(Photo, photo_id).derivatives)


def feed_says(client: FlaskClient) -> str:
    """The album's photo count as the Atom feed states it."""
    feed = client.get("/feed.atom").get_data(as_text=True)
    return "2 photos" if "2 photos" in feed else "1 photo" if "1 photo" in feed else feed


def media_urls(client: FlaskClient, photo_id: int) -> list[str]:
    """The photo's web-size URLs as an anonymous visitor gets them from the API."""
    return [d["url"] for d in client.get(f"/api/v1/photos/{photo_id}").get_json()["derivatives"]]


def test_request_hides_at_once_everywhere_and_restore_brings_it_back(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    asked, keep, editor = world["asked"], world["keep"], world["tokens"]["editor"]
    db.session.get(Photo, asked).album.cover_photo_id = asked
    db.session.commit()
    before = surfaces(client, asked, "asked.jpg")
    assert all(before.values()), before
    assert all(surfaces(client, keep, "keep.jpg").values())
    assert feed_says(client) == "2 photos"
    assert cover_shows(client, asked)
    old_urls = media_urls(client, asked)
    assert old_urls and all(client.get(url).status_code == 200 for url in old_urls)

    started = time.perf_counter()
    response = ask(client, asked, "hide", reason="I am in it", email="me@example.org")
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {"id": body["id"], "status": "open"}
    after = surfaces(client, asked, "asked.jpg")
    gone_in = time.perf_counter() - started
    assert not any(after.values()), after
    assert [client.get(url).status_code for url in old_urls] == [404] * len(old_urls)  # fetched before: dead
    assert client.get(f"/albums/{ALBUM}/photos/{asked}").status_code == 410
    assert client.get(f"/api/v1/photos/{asked}").status_code == 404
    # Editors still get it, marked hidden; the other photo is untouched.
    staff_view = client.get(f"/api/v1/photos/{asked}", headers=bearer(editor)).get_json()
    assert staff_view["hidden"] is True and staff_view["hidden_reason"] == "takedown"
    signed = [d["url"] for d in staff_view["derivatives"]]
    assert signed and all("sig=" in url for url in signed)  # never a public, cacheable URL
    for url in signed:
        served = client.get(url)
        assert served.status_code == 200 and served.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/api/v1/photos/{keep}", headers=bearer(editor)).get_json()["hidden"] is False
    assert all(surfaces(client, keep, "keep.jpg").values())
    # Counts: the album and the feed count one photo now.
    assert len(client.get(f"/api/v1/albums/{ALBUM}").get_json()["photos"]) == 1
    assert feed_says(client) == "1 photo"
    assert not cover_shows(client, asked)
    print(f"request -> gone from {len(after)} surfaces in {gone_in:.3f} s")

    queue = client.get("/api/v1/takedown-requests?status=open", headers=bearer(editor)).get_json()
    assert [(r["id"], r["action"], r["photo_id"], r["email"]) for r in queue] == [
        (body["id"], "hide", asked, "me@example.org")
    ]
    assert [step["step"] for step in queue[0]["history"]] == ["filed", "hidden"]

    decided = decide(client, editor, body["id"], "restore")
    assert decided.status_code == 200, decided.get_data(as_text=True)
    assert decided.get_json()["status"] == "decided" and decided.get_json()["decision"] == "restore"
    assert all(surfaces(client, asked, "asked.jpg").values())
    new_urls = media_urls(client, asked)
    assert not set(new_urls) & set(old_urls)  # back under new URLs; the old ones stay dead
    assert all(client.get(url).status_code == 200 for url in new_urls)
    assert all(client.get(url).status_code == 404 for url in old_urls)
    assert feed_says(client) == "2 photos"
    assert cover_shows(client, asked)
    again = decide(client, editor, body["id"], "hide")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_decided"
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"takedown.request", "photo.hide", "takedown.decide", "photo.unhide"} <= actions


def test_a_blur_decision_blurs_the_requested_boxes_and_shows_the_photo_again(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    asked, editor = world["asked"], world["tokens"]["editor"]
    before = media_urls(client, asked)
    boxes = [{"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}]
    filed = ask(client, asked, "blur", boxes=boxes).get_json()["id"]
    assert client.get(f"/albums/{ALBUM}/photos/{asked}").status_code == 410
    decided = decide(client, editor, filed, "blur")  # no boxes given: the requested ones
    assert decided.status_code == 200, decided.get_data(as_text=True)
    assert decided.get_json()["decision"] == "blur"
    assert decided.get_json()["history"][-1]["boxes"] == boxes
    photo = db.session.get(Photo, asked)
    db.session.refresh(photo)
    assert photo.hidden_reason is None and photo.blur_boxes
    assert all(surfaces(client, asked, "asked.jpg").values())  # shown again, blurred
    after = media_urls(client, asked)
    assert not set(after) & set(before) and all(client.get(url).status_code == 200 for url in after)
    assert all(client.get(url).status_code == 404 for url in before)  # the unblurred sizes are gone

    # An editor may draw other boxes than the requester did.
    second = ask(client, world["keep"], "blur", boxes=boxes).get_json()["id"]
    edited = [{"x": 0.0, "y": 0.0, "w": 0.2, "h": 0.2}]
    assert decide(client, editor, second, "blur", boxes=edited).get_json()["history"][-1]["boxes"] == edited


def test_requests_are_checked_and_only_editors_decide(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    asked, editor = world["asked"], world["tokens"]["editor"]
    assert ask(client, 999_999).status_code == 404
    assert ask(client, asked, "burn").status_code == 422
    assert ask(client, asked, "other", reason="x" * 2001).status_code == 422
    assert ask(client, asked, "other", email="not an address").status_code == 422
    assert ask(client, asked, "blur", boxes=[{"x": 0.9, "y": 0.1, "w": 0.2, "h": 0.2}]).status_code == 422
    assert ask(client, asked, "blur", boxes=[{"x": 0.1, "y": 0.1, "w": 0.0, "h": 0.2}]).status_code == 422
    assert ask(client, asked, "blur", boxes="everything").status_code == 422
    assert db.session.scalar(select(TakedownRequest.id)) is None  # nothing half-written

    # "other" never hides; a blur request keeps its boxes.
    other = ask(client, asked, "other", reason="Wrong caption").get_json()["id"]
    assert db.session.get(Photo, asked).hidden_reason is None
    boxes = [{"x": 0.25, "y": 0.1, "w": 0.2, "h": 0.3}, {"x": 0.6, "y": 0.5, "w": 0.1, "h": 0.1}]
    blur = ask(client, asked, "blur", boxes=boxes).get_json()["id"]
    assert db.session.get(TakedownRequest, blur).boxes == boxes
    assert db.session.get(Photo, asked).hidden_reason == HiddenReason.takedown

    photographer = make_token(make_user(Role.photographer))
    assert decide(client, photographer, other, "restore").status_code == 403
    assert client.post(f"/api/v1/takedown-requests/{other}/decision", json={"action": "restore"}).status_code == 401
    assert decide(client, editor, other, "nothing").status_code == 422
    assert decide(client, editor, 424242, "hide").status_code == 404
    # A hidden photo cannot be asked about by visitors any more (they cannot see it).
    assert ask(client, asked, "erase").status_code == 404

    assert decide(client, editor, blur, "hide").status_code == 200
    photo = db.session.get(Photo, asked)
    db.session.refresh(photo)
    assert photo.hidden_reason == HiddenReason.editor  # hidden for good, original kept
    assert storage_of(app).exists(photo.original_key)


def test_erase_leaves_nothing_and_a_tombstone_refuses_the_bytes(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    asked, editor, admin = world["asked"], world["tokens"]["editor"], world["tokens"]["admin"]
    make_album("consent-other", event_slug=f"{ALBUM}-event")
    twin = add_photo(client, editor, "consent-other", world["bytes"], "twin.jpg")  # the same bytes elsewhere
    sha = db.session.get(Photo, asked).sha256
    storage = storage_of(app)
    assert any(sha in obj.key for obj in storage.list(""))

    first = ask(client, asked, "erase").get_json()["id"]
    second = ask(client, twin, "hide").get_json()["id"]
    decided = decide(client, editor, first, "erase")
    assert decided.status_code == 200, decided.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Photo).where(Photo.sha256 == sha)).all() == []
    assert [obj.key for obj in storage.list("") if sha in obj.key] == []
    assert db.session.get(Tombstone, sha) is not None
    assert db.session.get(TakedownRequest, second).status == TakedownStatus.decided  # decided with it
    verify = cli(app, "verify")
    assert verify.exit_code == 0, verify.stdout + verify.stderr

    refused = upload(client, editor, ALBUM, world["bytes"], "again.jpg")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "erased"
    assert upload(client, editor, "consent-other", world["bytes"], "again.jpg").status_code == 409

    assert client.delete(f"/api/v1/tombstones/{sha}", headers=bearer(editor)).status_code == 403
    assert client.delete(f"/api/v1/tombstones/{'0' * 64}", headers=bearer(admin)).status_code == 404
    assert client.delete(f"/api/v1/tombstones/{sha}", headers=bearer(admin)).status_code == 204
    assert upload(client, editor, ALBUM, world["bytes"], "again.jpg").status_code == 201


def test_form_and_api_share_one_rate_limit(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    keep = world["keep"]
    form_url = f"/albums/{ALBUM}/photos/{keep}/takedown"
    for _ in range(10):
        page = client.get(form_url)
        assert page.status_code == 200
        sent = client.post(form_url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "action": "other"})
        assert sent.status_code == 200, sent.get_data(as_text=True)
    for _ in range(10):
        assert ask(client, keep, "other").status_code == 202
    limited = ask(client, keep, "other")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    page = client.get(form_url)  # reading the form is not limited
    polite = client.post(form_url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "action": "other"})
    assert polite.status_code == 429
    assert "Please try again in an hour" in polite.get_data(as_text=True)
    assert db.session.scalar(select(TakedownRequest.id).order_by(TakedownRequest.id.desc())) is not None
    assert len(db.session.scalars(select(TakedownRequest.id)).all()) == 20
    # Per client: another address is not held back by this one's requests.
    other = client.post(
        f"/api/v1/photos/{keep}/takedown-requests", json={"action": "other"}, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert other.status_code == 202


def test_form_files_a_request_with_boxes_and_the_honeypot_files_nothing(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    asked = world["asked"]
    photo_page = client.get(f"/albums/{ALBUM}/photos/{asked}").get_data(as_text=True)
    form_url = f"/albums/{ALBUM}/photos/{asked}/takedown"
    assert f'href="{form_url}"' in photo_page
    page = client.get(form_url).get_data(as_text=True)
    token = csrf_from(page)
    bot = client.post(form_url, data={"csrf_token": token, "action": "erase", "website": "http://spam.example"})
    assert bot.status_code == 200 and "Thank you" in bot.get_data(as_text=True)
    assert db.session.scalar(select(TakedownRequest.id)) is None
    assert db.session.get(Photo, asked).hidden_reason is None

    no_csrf = client.post(form_url, data={"action": "hide"})
    assert no_csrf.status_code == 400
    bad_boxes = client.post(form_url, data={"csrf_token": token, "action": "blur", "boxes": "[{"})
    assert bad_boxes.status_code == 400
    sent = client.post(
        form_url,
        data={
            "csrf_token": token,
            "action": "blur",
            "boxes": '[{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.3}]',
            "reason": "Me",
        },
    )
    assert sent.status_code == 200
    assert "hidden until they decide" in sent.get_data(as_text=True)
    filed = db.session.scalars(select(TakedownRequest)).one()
    assert filed.boxes == [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.3}] and filed.reason == "Me"
    assert client.get(f"/albums/{ALBUM}/photos/{asked}").status_code == 410
    # Polish.
    client.get("/language/pl?next=/")
    assert "Poproś o usunięcie lub rozmycie" in client.get(f"/albums/{ALBUM}/photos/{world['keep']}").get_data(
        as_text=True
    )


@pytest.mark.app_config(GALLERY_TAKEDOWN_AUTOHIDE_PER_HOUR="1")
def test_beyond_the_hourly_cap_requests_queue_without_hiding(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    first = ask(client, world["asked"], "hide").get_json()["id"]
    second = ask(client, world["keep"], "blur").get_json()["id"]
    assert db.session.get(Photo, world["asked"]).hidden_reason == HiddenReason.takedown
    assert db.session.get(Photo, world["keep"]).hidden_reason is None  # the cap was reached: queued
    assert db.session.get(TakedownRequest, first).autohidden
    queued = db.session.get(TakedownRequest, second)
    assert not queued.autohidden and queued.history[-1]["step"] == "queued"
    editor = world["tokens"]["editor"]
    queue = client.get("/api/v1/takedown-requests?status=open", headers=bearer(editor)).get_json()
    assert [r["id"] for r in queue] == [first, second]
    # The editors are told in the queue (and by e-mail: tests/unit/consent/test_notices.py).
    login(client, world["editor_email"])
    page = client.get("/manage/takedowns").get_data(as_text=True)
    assert "1 request(s) came in after the hourly limit of automatic hides was reached" in page


@pytest.mark.app_config(GALLERY_TAKEDOWN_AUTOHIDE="false")
def test_without_autohide_requests_only_queue(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    assert ask(client, world["asked"], "erase").status_code == 202
    assert db.session.get(Photo, world["asked"]).hidden_reason is None


def test_gc_forgets_the_requester_email_30_days_after_the_decision(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    editor = world["tokens"]["editor"]
    old = ask(client, world["asked"], "other", email="old@example.org").get_json()["id"]
    recent = ask(client, world["keep"], "other", email="recent@example.org").get_json()["id"]
    still_open = ask(client, world["keep"], "other", email="open@example.org").get_json()["id"]
    for request_id in (old, recent):
        assert decide(client, editor, request_id, "restore").status_code == 200
    db.session.get(TakedownRequest, old).decided_at = utcnow() - timedelta(days=31)
    db.session.get(TakedownRequest, recent).decided_at = utcnow() - timedelta(days=29)
    db.session.commit()
    dry = cli(app, "gc", "--dry-run")
    assert dry.exit_code == 0 and "1 takedown requester e-mail address(es) would be forgotten" in dry.stdout
    result = cli(app, "gc")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 takedown requester e-mail address(es) forgotten" in result.stdout
    db.session.expire_all()
    assert db.session.get(TakedownRequest, old).email is None
    assert db.session.get(TakedownRequest, recent).email == "recent@example.org"
    assert db.session.get(TakedownRequest, still_open).email == "open@example.org"
    assert db.session.get(TakedownRequest, old).history[-1]["step"] == "email_forgotten"
