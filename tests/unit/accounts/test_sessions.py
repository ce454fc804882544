"""Login sessions live on the server: a session or remember-me cookie copied before a logout
is worthless after it, and a password change or deactivation ends every session and token."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.accounts import sessions
from gallery.extensions import db
from gallery.models import ApiToken, LoginSession, Role, User, utcnow
from tests.conftest import PASSWORD, csrf_from, login, make_token, make_user

NEW_PASSWORD = "violet piano under seventeen lamps"
SESSION = "session"
REMEMBER = "remember_token"


def login_remembered(client: FlaskClient, email: str) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "remember": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)


def logout(client: FlaskClient) -> None:
    token = csrf_from(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def cookie(client: FlaskClient, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def replay(app: Flask, name: str, value: str) -> FlaskClient:
    """A new browser that has only this one cookie (an attacker's copy)."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief


def logged_in(client: FlaskClient) -> bool:
    status = client.get("/manage/").status_code
    assert status in (200, 302)
    return status == 200


def api_status(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/albums/none", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def editor(app: Flask) -> User:
    return make_user(Role.editor, "ola@example.org")


def test_copied_session_cookie_is_dead_after_logout(app: Flask, client: FlaskClient, editor: User) -> None:
    login(client, editor.email)
    stolen = cookie(client, SESSION)
    assert logged_in(replay(app, SESSION, stolen))  # the copy works while the session lives
    logout(client)
    assert not logged_in(client)
    assert not logged_in(replay(app, SESSION, stolen))


def test_copied_remember_cookie_is_dead_after_logout(app: Flask, client: FlaskClient, editor: User) -> None:
    login_remembered(client, editor.email)
    stolen = cookie(client, REMEMBER)
    assert logged_in(replay(app, REMEMBER, stolen))  # the remember cookie alone logs in ...
    logout(client)
    assert not logged_in(replay(app, REMEMBER, stolen))  # ... until its session is ended


def test_other_sessions_survive_a_plain_logout(app: Flask, editor: User) -> None:
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, editor.email)
    login_remembered(phone, editor.email)
    phone_remember = cookie(phone, REMEMBER)
    logout(laptop)
    assert not logged_in(laptop)
    assert logged_in(phone)
    assert logged_in(replay(app, REMEMBER, phone_remember))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


def test_the_user_id_alone_does_not_log_in(app: Flask, client: FlaskClient, editor: User) -> None:
    """Cookies from before login sessions (or forged with the secret key) carry the numeric id."""
    with client.session_transaction() as session:
        session["_user_id"] = str(editor.id)
        session["_fresh"] = True
    assert not logged_in(client)


def test_expired_login_sessions_end(app: Flask, client: FlaskClient, editor: User) -> None:
    login_remembered(client, editor.email)
    remember = cookie(client, REMEMBER)
    row = db.session.scalar(sa.select(LoginSession))
    assert row is not None and row.expires_at > utcnow() + timedelta(days=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not logged_in(client)
    assert not logged_in(replay(app, REMEMBER, remember))


def test_login_sessions_are_stored_hashed(app: Flask, client: FlaskClient, editor: User) -> None:
    login_remembered(client, editor.email)
    from flask_login.utils import decode_cookie

    session_id = decode_cookie(cookie(client, REMEMBER))
    assert session_id and len(session_id) >= 40
    dump = " ".join(
        str(v) for row in db.session.execute(sa.select(LoginSession)).all() for v in row[0].__dict__.values()
    )
    assert session_id not in dump


def cli(app: Flask, *args: str, input: str | None = None) -> str:
    result = app.test_cli_runner().invoke(args=["gallery", *args], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_password_change_ends_every_session_and_token(app: Flask, editor: User) -> None:
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, editor.email)
    login_remembered(phone, editor.email)
    stolen_session, stolen_remember = cookie(laptop, SESSION), cookie(phone, REMEMBER)
    token = make_token(editor)
    other = make_user(Role.editor, "kasia@example.org")
    bystander = app.test_client()
    login(bystander, other.email)
    other_token = make_token(other)
    assert api_status(laptop, token) == 404  # the token works: the album just does not exist

    output = cli(app, "set-password", "OLA@example.org", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert "2 sessions" in output and "1 API token" in output, output

    for client in (laptop, phone, replay(app, SESSION, stolen_session), replay(app, REMEMBER, stolen_remember)):
        assert not logged_in(client)
    assert api_status(laptop, token) == 401
    # somebody else's sessions and tokens are untouched
    assert logged_in(bystander) and api_status(bystander, other_token) == 404
    # the new password works, the old one does not
    fresh = app.test_client()
    page = fresh.get("/login")
    old = fresh.post(
        "/login",
        data={"email": editor.email, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert old.status_code == 401
    login(fresh, editor.email, NEW_PASSWORD)
    assert logged_in(fresh)


def test_set_password_refuses_a_weak_one_and_changes_nothing(app: Flask, client: FlaskClient, editor: User) -> None:
    login(client, editor.email)
    result = app.test_cli_runner().invoke(
        args=["gallery", "set-password", editor.email, "--password-stdin"], input="ola@example.org\n"
    )
    assert result.exit_code != 0 and "too easy to guess" in result.output, result.output
    assert logged_in(client)


def test_deactivation_ends_every_session_and_token(app: Flask, editor: User) -> None:
    laptop = app.test_client()
    login_remembered(laptop, editor.email)
    stolen_remember = cookie(laptop, REMEMBER)
    token = make_token(editor)
    output = cli(app, "deactivate-user", editor.email)
    assert "1 session" in output and "1 API token" in output, output
    assert not logged_in(laptop) and not logged_in(replay(app, REMEMBER, stolen_remember))
    assert api_status(laptop, token) == 401
    # reactivating lets the user log in again, but brings back no old session or token
    cli(app, "activate-user", editor.email)
    assert not logged_in(replay(app, REMEMBER, stolen_remember))
    assert api_status(laptop, token) == 401
    login(laptop, editor.email)
    assert logged_in(laptop)


# --- the login sessions themselves, without the web layer ---------------------------------------------


def test_start_stores_only_a_hash_and_binds_the_user(app: Flask, editor: User) -> None:
    session_id = sessions.start(db.session, editor)
    db.session.commit()
    assert editor.login_session_id == session_id and editor.get_id() == session_id
    row = db.session.scalar(sa.select(LoginSession))
    assert row is not None and row.user_id == editor.id
    assert row.id_hash == hashlib.sha256(session_id.encode()).hexdigest() and session_id not in row.id_hash
    assert row.expires_at - row.created_at == sessions.LIFETIME


def test_load_user_only_through_a_live_session(app: Flask, editor: User) -> None:
    session_id = sessions.start(db.session, editor)
    db.session.commit()
    db.session.expire_all()
    loaded = sessions.load_user(db.session, session_id)
    assert loaded is not None and loaded.id == editor.id and loaded.login_session_id == session_id
    for forged in ("", str(editor.id), "x" * 39, session_id + "!", "a" * 43):
        assert sessions.load_user(db.session, forged) is None, forged
    editor.active = False
    db.session.commit()
    assert sessions.load_user(db.session, session_id) is None  # deactivated
    editor.active = True
    db.session.scalar(sa.select(LoginSession)).expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    db.session.commit()
    assert sessions.load_user(db.session, session_id) is None  # expired


def test_a_new_login_clears_the_users_expired_sessions(app: Flask, editor: User) -> None:
    old = sessions.start(db.session, editor)
    db.session.scalar(sa.select(LoginSession)).expires_at = utcnow() - timedelta(days=1)  # type: ignore[union-attr]
    db.session.commit()
    new = sessions.start(db.session, editor)
    db.session.commit()
    hashes = set(db.session.scalars(sa.select(LoginSession.id_hash)))
    assert hashes == {hashlib.sha256(new.encode()).hexdigest()} and old != new


def test_end_one_and_end_all(app: Flask, editor: User) -> None:
    laptop, phone = sessions.start(db.session, editor), sessions.start(db.session, editor)
    other = make_user(Role.editor, "kasia@example.org")
    bystander = sessions.start(db.session, other)
    make_token(editor)
    make_token(other)
    sessions.end(db.session, laptop)
    sessions.end(db.session, None)  # logging out without a session changes nothing
    sessions.end(db.session, "not a session id")
    db.session.commit()
    assert sessions.load_user(db.session, laptop) is None and sessions.load_user(db.session, phone) is not None
    assert sessions.end_all(db.session, editor) == (1, 1)
    db.session.commit()
    assert editor.login_session_id is None and sessions.load_user(db.session, phone) is None
    assert sessions.load_user(db.session, bystander) is not None  # somebody else's session lives on
    revoked = {t.user_id: t.revoked_at for t in db.session.scalars(sa.select(ApiToken))}
    assert revoked[editor.id] is not None and revoked[other.id] is None
    assert sessions.end_all(db.session, editor) == (0, 0)
