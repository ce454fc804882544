"""/account/set-password/<secret> (gallery/web/account.py): the page behind a one-time link."""

from __future__ import annotations

from datetime import timedelta

import flask_babel
import pytest
from flask import Flask

from gallery.accounts import admin, links
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Role, utcnow
from tests.conftest import csrf_from, login, make_user

NEW_PASSWORD = "violet piano under seventeen lamps"


def _link(app: Flask) -> str:
    created = admin.add_user(db.session, email="new@example.org", role=Role.photographer, name="Nowy", actor=SYSTEM)
    db.session.commit()
    return created.link.path


def test_the_link_works_once_then_says_why_not(app: Flask) -> None:
    path = _link(app)
    client = app.test_client()
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "new@example.org" in html and "Welcome" in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    data = {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": csrf_from(html)}
    assert client.post(path, data=data).headers["Location"] == "/login"
    login(client, "new@example.org", NEW_PASSWORD)
    again = app.test_client().get(path)
    assert again.status_code == 404 and "72 hours" in again.get_data(as_text=True)


def test_an_expired_link_is_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _link(app)
    later = utcnow() + timedelta(hours=72, minutes=1)
    monkeypatch.setattr(links, "utcnow", lambda: later)
    assert app.test_client().get(path).status_code == 404


def test_without_csrf_nothing_changes(app: Flask) -> None:
    path = _link(app)
    response = app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert app.test_client().get(path).status_code == 200  # still unused


def test_in_polish(app: Flask) -> None:
    path = _link(app)
    make_user(Role.admin)
    flask_babel.refresh()
    html = app.test_client().get(path, headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Ustaw hasło" in html and "Witaj!" in html
    flask_babel.refresh()
    gone = app.test_client().get("/account/set-password/nothing", headers={"Accept-Language": "pl"})
    assert gone.status_code == 404 and "72 godziny" in gone.get_data(as_text=True)
