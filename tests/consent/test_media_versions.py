"""Gone means gone (issue 10, item 3), on SQLite and PostgreSQL: web-size URLs fetched before a
takedown answer 404 after it, a restore brings new URLs that answer 200 (the old ones stay 404), an
editor's blur retires the unblurred ones, a public album made private takes its old URLs with it,
the CDN purge hook is sent every retired URL, and ``gallery verify`` is green after all of it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Role
from tests.archive.conftest import add_photo, cli, jpeg, make_album, storage_of
from tests.cdn_sink import PurgeSink, purge_sink
from tests.conftest import make_app, make_token, make_user

ALBUM = "versions-album"
BASE = "http://localhost"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sink() -> Any:
    with purge_sink() as found:
        yield found


@pytest.fixture
def app(tmp_path: Any, database_url: str, sink: PurgeSink) -> Any:
    from tests.conftest import _empty_tables

    application = make_app(
        tmp_path,
        database_url,
        GALLERY_DERIVATIVE_SIZES="200,400",
        GALLERY_CDN_PURGE_URL=sink.url,
    )
    with application.app_context():
        db.create_all()
        try:
            yield application
        finally:
            db.session.remove()
            if not database_url.startswith("sqlite"):
                _empty_tables()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def media_urls(client: FlaskClient, photo_id: int, token: str | None = None) -> list[str]:
    """The derivative URLs of the photo in its album's JSON (an editor's view when ``token``)."""
    answer = client.get(f"/api/v1/albums/{ALBUM}", headers=bearer(token) if token else {})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    for photo in answer.get_json()["photos"]:
        if photo["id"] == photo_id:
            return [d["url"] for d in photo["derivatives"]]
    return []


def status(client: FlaskClient, url: str) -> int:
    return client.get(url.removeprefix(BASE)).status_code


def test_old_media_urls_die_on_hide_restore_blur_and_privacy(client: FlaskClient, app: Flask, sink: PurgeSink) -> None:
    editor = make_token(make_user(Role.editor))
    make_album(ALBUM)
    photo_id = add_photo(client, editor, ALBUM, jpeg(1), "asked.jpg")
    other_id = add_photo(client, editor, ALBUM, jpeg(2), "other.jpg")
    first = media_urls(client, photo_id)
    assert len(first) == 4 and all(status(client, url) == 200 for url in first)

    # A visitor asks: hidden at once, and every URL fetched before answers 404.
    asked = client.post(f"/api/v1/photos/{photo_id}/takedown-requests", json={"action": "hide"})
    assert asked.status_code == 202
    assert [status(client, url) for url in first] == [404] * 4
    hidden = media_urls(client, photo_id, editor)  # editors still see it, under new URLs
    assert hidden and set(hidden).isdisjoint(first)
    assert sorted(sink.urls) == sorted(f"{BASE}/media/{url.split('/media/', 1)[1]}" for url in first)

    # Restore: new URLs that answer 200; the old ones (both generations) stay 404.
    decided = client.post(
        f"/api/v1/takedown-requests/{asked.get_json()['id']}/decision",
        json={"action": "restore"},
        headers=bearer(editor),
    )
    assert decided.status_code == 200, decided.get_data(as_text=True)
    restored = media_urls(client, photo_id)
    assert restored and set(restored).isdisjoint(first + hidden)
    assert all(status(client, url) == 200 for url in restored)
    assert all(status(client, url) == 404 for url in first)

    # An editor's blur: the unblurred URLs die.
    blurred = client.post(
        f"/api/v1/photos/{photo_id}/blur",
        json={"boxes": [{"x": 0.1, "y": 0.1, "w": 0.3, "h": 0.3}]},
        headers=bearer(editor),
    )
    assert blurred.status_code == 200, blurred.get_data(as_text=True)
    assert blurred.get_json()["blur_boxes"] == [{"x": 0.1, "y": 0.1, "w": 0.3, "h": 0.3}]
    assert all(status(client, url) == 404 for url in restored)
    restored = media_urls(client, photo_id)
    assert all(status(client, url) == 200 for url in restored)
    # bad boxes: 422, nothing changes
    for bad in ([{"x": 0.9, "y": 0.1, "w": 0.5, "h": 0.3}], [{"x": 0.1}], "all"):
        refused = client.post(f"/api/v1/photos/{photo_id}/blur", json={"boxes": bad}, headers=bearer(editor))
        assert refused.status_code in (400, 422), refused.get_data(as_text=True)
        assert refused.get_json()["error"]["code"]
    assert media_urls(client, photo_id) == restored

    # The album goes private: every URL handed out while it was public answers 404, the other
    # photo's too, and the purge hook hears of them.
    public_other = media_urls(client, other_id)
    sink.bodies.clear()
    changed = client.patch(f"/api/v1/albums/{ALBUM}", json={"visibility": "private"}, headers=bearer(editor))
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert all(status(client, url) == 404 for url in restored + public_other)
    assert {u.split("/media/", 1)[1] for u in restored + public_other} <= {u.split("/media/", 1)[1] for u in sink.urls}
    private = media_urls(client, other_id, editor)  # signed, fresh, and they work
    assert private and all("sig=" in url and status(client, url) == 200 for url in private)

    verified = cli(app, "verify")
    assert verified.exit_code == 0, verified.output
    assert "0 missing, 0 changed" in verified.output and "no untracked objects" in verified.output
    assert {obj.key for obj in storage_of(app).list("derivatives/")} == {
        d.key for photo in _photos() for d in photo.derivatives
    }


def _photos() -> list[Any]:
    from sqlalchemy import select

    from gallery.models import Photo

    return list(db.session.scalars(select(Photo)))
