"""The takedown queue (gallery/manage/takedowns.py): open requests with their photo, boxes and
history; decisions by form (CSRF), a second decision refused politely."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from gallery.consent.models import TakedownRequest
from gallery.extensions import db
from gallery.models import Photo, Role
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import csrf_from, login, make_token, make_user


def test_queue_and_decisions(app: Flask, client: FlaskClient) -> None:
    editor = make_user(Role.editor)
    token = make_token(editor)
    make_album("queue-album")
    photo = add_photo(client, token, "queue-album", jpeg(11), "queued.jpg")
    boxes = [{"x": 0.25, "y": 0.5, "w": 0.25, "h": 0.25}]
    filed = client.post(f"/api/v1/photos/{photo}/takedown-requests", json={"action": "blur", "boxes": boxes})
    request_id = filed.get_json()["id"]
    login(client, editor.email)
    page = client.get("/manage/takedowns")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="request-{request_id}"' in html and "queued.jpg" in html
    assert '<rect class="takedown-box" x="0.25" y="0.5" width="0.25" height="0.25">' in html  # drawn over the photo
    assert "?exp=" in html  # the hidden photo's web size through a signed URL
    assert "filed" in html and "hidden" in html

    url = f"/manage/takedowns/{request_id}/decision"
    assert client.post(url, data={"action": "restore"}).status_code == 400  # no CSRF token
    token_value = csrf_from(html)
    done = client.post(url, data={"csrf_token": token_value, "action": "restore"})
    assert done.status_code == 302
    assert db.session.get(Photo, photo).hidden_reason is None
    again = client.post(url, data={"csrf_token": token_value, "action": "hide"}, follow_redirects=True)
    assert "could not be decided" in again.get_data(as_text=True)
    assert db.session.get(TakedownRequest, request_id).decision.value == "restore"
    assert (
        client.post("/manage/takedowns/99999/decision", data={"csrf_token": token_value, "action": "hide"}).status_code
        == 404
    )
