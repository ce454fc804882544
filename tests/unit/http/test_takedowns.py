"""What the takedown views share (gallery/http/takedowns.py): the notices after a request and a
decision, through a real SMTP server on loopback; a dead SMTP server never breaks a request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Role
from gallery.models import User as _User
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import make_token, make_user
from tests.consent.smtp import Sink, free_port, smtp_sink

PORT = free_port()
pytestmark = pytest.mark.app_config(
    GALLERY_SMTP_URL=f"smtp://127.0.0.1:{PORT}", GALLERY_MAIL_FROM="gallery@example.org"
)


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink(PORT) as running:
        yield running


def test_editors_hear_of_requests_and_requesters_of_decisions(app: Flask, client: FlaskClient, sink: Sink) -> None:
    editor, admin = make_user(Role.editor), make_user(Role.admin)
    make_user(Role.photographer)  # photographers do not decide: no notice
    gone = make_user(Role.editor, email="gone@example.org")
    gone.active = False
    db.session.commit()
    token = make_token(editor)
    make_album("notice-album")
    photo = add_photo(client, token, "notice-album", jpeg(5))

    filed = client.post(
        f"/api/v1/photos/{photo}/takedown-requests", json={"action": "hide", "email": "me@example.org", "reason": "Me"}
    )
    assert filed.status_code == 202
    assert sorted(m["To"] for m in sink.messages) == sorted([editor.email, admin.email])
    notice = sink.to(editor.email)[0]
    assert notice["From"] == "gallery@example.org"
    body = notice.get_payload(decode=True).decode()
    assert f"/albums/notice-album/photos/{photo}" in body and "/manage/takedowns" in body and "hidden at once" in body
    assert "me@example.org" not in body  # the requester's address stays in the queue

    sink.messages.clear()
    request_id = filed.get_json()["id"]
    decided = client.post(
        f"/api/v1/takedown-requests/{request_id}/decision",
        json={"action": "hide"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert decided.status_code == 200
    assert [m["To"] for m in sink.messages] == ["me@example.org"]
    assert "no longer published" in sink.messages[0].get_payload(decode=True).decode()


def test_a_dead_smtp_server_does_not_break_the_request(app: Flask, client: FlaskClient) -> None:
    token = make_token(make_user(Role.editor))
    make_album("notice-album")
    photo = add_photo(client, token, "notice-album", jpeg(6))
    filed = client.post(f"/api/v1/photos/{photo}/takedown-requests", json={"action": "other"})  # nobody listens
    assert filed.status_code == 202
    assert db.session.query(_User).count() == 1
