""" "Publish only after review" (issue 10, item 7), on SQLite and PostgreSQL: an event's switch
(API and the event form's field) keeps new uploads hidden (HiddenReason.review) until an editor
releases them on the grid; photos uploaded before the switch stay shown."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import HiddenReason, Photo, User
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import csrf_from, login, make_token

ALBUM = "review-album"


def public_ids(client: FlaskClient) -> set[int]:
    return {p["id"] for p in client.get(f"/api/v1/albums/{ALBUM}").get_json()["photos"]}


def test_uploads_wait_for_review_until_released(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    make_album(ALBUM)
    token = make_token(users["editor"])
    bearer = {"Authorization": f"Bearer {token}"}
    before = add_photo(client, token, ALBUM, jpeg(1))
    switched = client.patch(f"/api/v1/events/{ALBUM}-event", json={"review_uploads": True}, headers=bearer)
    assert switched.status_code == 200, switched.get_data(as_text=True)
    assert switched.get_json()["review_uploads"] is True
    assert (
        client.patch(f"/api/v1/events/{ALBUM}-event", json={"review_uploads": "maybe"}, headers=bearer).status_code
        == 422
    )

    waiting = [add_photo(client, token, ALBUM, jpeg(n)) for n in (2, 3)]
    visitor = app.test_client()
    assert public_ids(visitor) == {before}
    assert all(visitor.get(f"/albums/{ALBUM}/photos/{i}").status_code in (404, 410) for i in waiting)
    assert all(db.session.get(Photo, i).hidden_reason is HiddenReason.review for i in waiting)  # type: ignore[union-attr]
    editor_view = {p["id"]: p for p in client.get(f"/api/v1/albums/{ALBUM}", headers=bearer).get_json()["photos"]}
    assert all(editor_view[i]["hidden"] and editor_view[i]["hidden_reason"] == "review" for i in waiting)

    login(client, users["editor"].email)
    grid = client.get(f"/manage/albums/{ALBUM}/photos").get_data(as_text=True)
    assert grid.count("waiting for review") == 2
    released = client.post(
        f"/manage/albums/{ALBUM}/photos/show", data={"csrf_token": csrf_from(grid), "selected": [str(waiting[0])]}
    )
    assert released.status_code == 302
    assert public_ids(visitor) == {before, waiting[0]}

    # The event form carries the switch too: turned off, new uploads are shown at once.
    form = client.get(f"/manage/events/{ALBUM}-event/edit").get_data(as_text=True)
    import re

    checkbox = re.search(r'<input[^>]*name="review_uploads"[^>]*>', form)
    assert checkbox and "checked" in checkbox.group(0)
    db.session.expire_all()
    switched_off = client.patch(f"/api/v1/events/{ALBUM}-event", json={"review_uploads": False}, headers=bearer)
    assert switched_off.status_code == 200
    after = add_photo(client, token, ALBUM, jpeg(9))
    assert after in public_ids(visitor)
