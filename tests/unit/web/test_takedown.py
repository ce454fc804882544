"""The public takedown form (gallery/web/takedown.py): the photo with the box widget, 404 for a
photo the visitor cannot see, 410 once hidden, a bad address sent back with a message."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Role, Visibility
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import csrf_from, make_token, make_user


def test_form(app: Flask, client: FlaskClient) -> None:
    token = make_token(make_user(Role.editor))
    album = make_album("form-album")
    photo = add_photo(client, token, "form-album", jpeg(21))
    url = f"/albums/form-album/photos/{photo}/takedown"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="takedown-photo"' in html and 'name="boxes"' in html and "js/takedown.js" in html
    assert 'name="website"' in html and 'tabindex="-1"' in html  # the honeypot, out of the tab order
    bad = client.post(url, data={"csrf_token": csrf_from(html), "action": "hide", "email": "nobody"})
    assert bad.status_code == 400 and "Please check the e-mail address." in bad.get_data(as_text=True)
    assert client.get(f"/albums/form-album/photos/{photo + 1000}/takedown").status_code == 404
    ok = client.post(url, data={"csrf_token": csrf_from(html), "action": "hide"})
    assert ok.status_code == 200
    assert client.get(url).status_code == 410  # hidden now: withdrawn
    album.visibility = Visibility.private
    db.session.commit()
    assert client.get(url).status_code == 404
