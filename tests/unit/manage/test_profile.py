"""/manage/profile (gallery/manage/profile.py): every user's name, default credit, password and
own API tokens."""

from __future__ import annotations

import re

import flask_babel
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import User
from tests.conftest import PASSWORD, csrf_from, login, make_token

NEW_PASSWORD = "violet piano under seventeen lamps"


def post(client: FlaskClient, path: str, data: dict[str, str]) -> tuple[int, str, str]:
    token = csrf_from(client.get("/manage/profile").get_data(as_text=True))
    response = client.post(path, data={**data, "csrf_token": token})
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def test_every_role_has_a_profile(app: Flask, users: dict[str, User]) -> None:
    for role in ("photographer", "editor", "admin"):
        client = app.test_client()
        login(client, users[role].email)
        assert client.get("/manage/profile").status_code == 200
    assert app.test_client().get("/manage/profile").status_code == 302


def test_name_and_default_credit(app: Flask, users: dict[str, User]) -> None:
    client = app.test_client()
    login(client, users["photographer"].email)
    status, location, _ = post(client, "/manage/profile", {"name": "Pia <Kowalska>", "default_credit": ""})
    assert status == 302 and location == "/manage/profile"
    page = client.get("/manage/profile").get_data(as_text=True)
    assert "Your uploads are credited: Pia &lt;Kowalska&gt;" in page and "<Kowalska>" not in page
    post(client, "/manage/profile", {"name": "Pia", "default_credit": "EU / Pia K."})
    db.session.expire_all()
    user = db.session.get(User, users["photographer"].id)
    assert (user.name, user.default_credit) == ("Pia", "EU / Pia K.")
    status, _, html = post(client, "/manage/profile", {"name": "x" * 300, "default_credit": ""})
    assert status == 422 and "at most 200 characters" in html


def test_password_change_keeps_this_browser_and_ends_the_others(app: Flask, users: dict[str, User]) -> None:
    email = users["editor"].email
    here, elsewhere = app.test_client(), app.test_client()
    login(here, email)
    login(elsewhere, email)
    token = make_token(users["editor"])
    status, _, html = post(
        here,
        "/manage/profile/password",
        {"current_password": "wrong", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert status == 422 and "current password is wrong" in html
    status, _, html = post(
        here,
        "/manage/profile/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": "typo"},
    )
    assert status == 422 and "differ" in html
    status, _, html = post(
        here,
        "/manage/profile/password",
        {"current_password": PASSWORD, "new_password": "password1234", "confirm_password": "password1234"},
    )
    assert status == 422 and "too easy to guess" in html
    status, location, _ = post(
        here,
        "/manage/profile/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert status == 302 and location == "/manage/profile"
    assert here.get("/manage/profile").status_code == 200
    assert elsewhere.get("/manage/profile").status_code == 302
    assert app.test_client().get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    fresh = app.test_client()
    login(fresh, email, NEW_PASSWORD)
    assert fresh.get("/manage/").status_code == 200


def test_own_tokens_created_once_and_revoked(app: Flask, users: dict[str, User]) -> None:
    client = app.test_client()
    login(client, users["photographer"].email)
    status, _, html = post(client, "/manage/profile/tokens", {"name": "Lightroom"})
    assert status == 200
    secret = re.search(r'id="issued-token"[^>]*value="(gal_[^"]+)"', html)
    assert secret is not None
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert app.test_client().get("/api/v1/events", headers=headers).status_code == 200
    page = client.get("/manage/profile").get_data(as_text=True)
    assert secret.group(1) not in page and secret.group(1)[:12] in page  # shown once; the prefix stays
    token_id = re.search(r'name="token" value="(\d+)"', page)
    assert token_id is not None
    status, location, _ = post(client, "/manage/profile/tokens/revoke", {"token": token_id.group(1)})
    assert status == 302 and location == "/manage/profile"
    assert app.test_client().get("/api/v1/events", headers=headers).status_code == 401
    # someone else's token is not found, and stays live
    other = make_token(users["editor"])
    other_id = str(db.session.scalar(db.text("select id from api_tokens where prefix = :p"), {"p": other[:12]}))
    assert post(client, "/manage/profile/tokens/revoke", {"token": other_id})[0] == 404
    assert app.test_client().get("/api/v1/events", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_profile_in_polish(app: Flask, users: dict[str, User]) -> None:
    client = app.test_client()
    login(client, users["editor"].email)
    flask_babel.refresh()
    html = client.get("/manage/profile", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Twój profil" in html and "Domyślny podpis" in html and "Zmień hasło" in html
