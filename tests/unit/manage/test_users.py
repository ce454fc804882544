"""/manage/users (gallery/manage/users.py): admins add users with a one-time set-password link,
change roles, deactivate (which ends sessions and tokens at once), reset passwords by a new link,
and revoke tokens; the last active admin and the admin themselves are protected."""

from __future__ import annotations

import re

import flask_babel
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.accounts.models import PasswordLink
from gallery.extensions import db
from gallery.models import AuditLog, Role, User
from tests.conftest import csrf_from, login, make_token, make_user

NEW_PASSWORD = "violet piano under seventeen lamps"
LINK_RE = re.compile(r'value="(http://localhost/account/set-password/[A-Za-z0-9_-]+)"')


def post(client: FlaskClient, path: str, data: dict[str, str]) -> tuple[int, str, str]:
    token = csrf_from(client.get("/manage/users").get_data(as_text=True))
    response = client.post(path, data={**data, "csrf_token": token})
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def admin_client(app: Flask, users: dict[str, User]) -> FlaskClient:
    client = app.test_client()
    login(client, users["admin"].email)
    return client


def test_only_admins_see_the_users_page(app: Flask, users: dict[str, User]) -> None:
    statuses = {}
    for role in ("photographer", "editor", "admin"):
        client = app.test_client()
        login(client, users[role].email)
        statuses[role] = client.get("/manage/users").status_code
    assert statuses == {"photographer": 403, "editor": 403, "admin": 200}
    assert app.test_client().get("/manage/users").status_code == 302


def test_add_a_user_shows_a_one_time_link_that_works_once(app: Flask, users: dict[str, User]) -> None:
    client = admin_client(app, users)
    status, _, html = post(
        client, "/manage/users", {"email": "Anna@Example.org", "name": "Anna Nowak", "role": "editor"}
    )
    assert status == 200
    links = LINK_RE.findall(html)
    assert len(links) == 1
    link = links[0].removeprefix("http://localhost")
    secret = link.rsplit("/", 1)[1]
    # shown once: the users page does not show it again, and only its hash is stored
    assert secret not in client.get("/manage/users").get_data(as_text=True)
    stored = db.session.scalars(sa.select(PasswordLink.token_hash)).all()
    assert len(stored) == 1 and secret not in stored[0]
    anna = db.session.scalar(sa.select(User).where(User.email == "Anna@example.org"))
    assert anna is not None and anna.role == Role.editor and anna.password_hash is None

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Anna@example.org" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_from(page.get_data(as_text=True))
    short = visitor.post(link, data={"password": "anna1234", "confirm_password": "anna1234", "csrf_token": token})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    weak = visitor.post(
        link, data={"password": "password1234", "confirm_password": "password1234", "csrf_token": token}
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    differ = visitor.post(link, data={"password": NEW_PASSWORD, "confirm_password": "other", "csrf_token": token})
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)
    done = visitor.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    login(visitor, "anna@example.org", NEW_PASSWORD)
    assert visitor.get("/manage/").status_code == 200
    # once only
    again = app.test_client().get(link)
    assert again.status_code == 404 and "not valid" in again.get_data(as_text=True)


def test_bad_input_is_a_message_not_a_500(app: Flask, users: dict[str, User]) -> None:
    client = admin_client(app, users)
    status, _, html = post(client, "/manage/users", {"email": "not-an-address", "role": "editor"})
    assert status == 422 and "valid e-mail" in html
    status, _, html = post(client, "/manage/users", {"email": users["editor"].email, "role": "editor"})
    assert status == 409 and "already exists" in html
    status, _, html = post(client, "/manage/users", {"email": "x@example.org", "role": "superuser"})
    assert status == 422 and "roles" in html
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 3
    assert post(client, "/manage/users/999999/role", {"role": "admin"})[0] == 404
    assert post(client, f"/manage/users/{users['editor'].id}/tokens/revoke", {"token": "abc"})[0] == 422


def test_change_role_and_the_last_admin_rule(app: Flask, users: dict[str, User]) -> None:
    client = admin_client(app, users)
    admin_id, editor_id = users["admin"].id, users["editor"].id
    status, _, html = post(client, f"/manage/users/{admin_id}/role", {"role": "editor"})
    assert status == 409 and "last active admin" in html
    assert db.session.get(User, admin_id).role == Role.admin
    status, location, _ = post(client, f"/manage/users/{editor_id}/role", {"role": "admin"})
    assert status == 302 and location == f"/manage/users/{editor_id}"
    db.session.expire_all()
    assert db.session.get(User, editor_id).role == Role.admin
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "user.role_change")).one()
    assert entry.details["from"] == "editor" and entry.details["to"] == "admin"
    # now there are two admins: the first may be demoted (by the other)
    status, _, _ = post(client, f"/manage/users/{admin_id}/role", {"role": "editor"})
    assert status == 302


def test_nobody_deactivates_themselves(app: Flask, users: dict[str, User]) -> None:
    make_user(Role.admin, "second-admin@example.org")
    client = admin_client(app, users)
    status, _, html = post(client, f"/manage/users/{users['admin'].id}/active", {"active": "0"})
    assert status == 409 and "your own account" in html
    db.session.expire_all()
    assert db.session.get(User, users["admin"].id).active


def test_the_last_active_admin_cannot_be_deactivated(app: Flask, users: dict[str, User]) -> None:
    """Not even by a script (the CLI calls the same rule)."""
    from gallery.accounts import admin
    from gallery.core.audit import SYSTEM
    from gallery.core.errors import ConflictError

    try:
        admin.set_active(db.session, user=users["admin"], active=False, actor=SYSTEM)
    except ConflictError as exc:
        assert exc.code == "last_admin"
    else:
        raise AssertionError("the last admin was deactivated")


def test_deactivation_ends_sessions_and_tokens_at_once(app: Flask, users: dict[str, User]) -> None:
    editor_browser = app.test_client()
    login(editor_browser, users["editor"].email)
    api_token = make_token(users["editor"])
    headers = {"Authorization": f"Bearer {api_token}"}
    assert editor_browser.get("/manage/").status_code == 200
    assert app.test_client().get("/api/v1/events", headers=headers).status_code == 200

    client = admin_client(app, users)
    status, _, _ = post(client, f"/manage/users/{users['editor'].id}/active", {"active": "0"})
    assert status == 302
    flash = client.get(f"/manage/users/{users['editor'].id}").get_data(as_text=True)
    assert "(login sessions ended: 1; API tokens revoked: 1)" in flash
    # the very next request of the editor's browser and script is refused
    assert editor_browser.get("/manage/").status_code == 302
    assert app.test_client().get("/api/v1/events", headers=headers).status_code == 401
    failed_login = app.test_client()
    page = failed_login.get("/login")
    response = failed_login.post(
        "/login",
        data={
            "email": users["editor"].email,
            "password": "correct horse battery",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 401
    # reactivation brings none of the old sessions or tokens back
    assert post(client, f"/manage/users/{users['editor'].id}/active", {"active": "1"})[0] == 302
    assert editor_browser.get("/manage/").status_code == 302
    assert app.test_client().get("/api/v1/events", headers=headers).status_code == 401


def test_reset_link_and_token_revocation(app: Flask, users: dict[str, User]) -> None:
    api_token = make_token(users["photographer"])
    client = admin_client(app, users)
    user_id = users["photographer"].id
    page = client.get(f"/manage/users/{user_id}").get_data(as_text=True)
    assert api_token[:12] in page and api_token not in page  # the prefix, never the secret
    token_id = re.search(r'name="token" value="(\d+)"', page)
    assert token_id is not None
    status, location, _ = post(client, f"/manage/users/{user_id}/tokens/revoke", {"token": token_id.group(1)})
    assert status == 302 and location == f"/manage/users/{user_id}"
    assert app.test_client().get("/api/v1/events", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401
    # another user's token id is not this user's
    other = make_token(users["editor"])
    other_id = db.session.scalar(sa.text("select id from api_tokens where prefix = :p"), {"p": other[:12]})
    assert post(client, f"/manage/users/{user_id}/tokens/revoke", {"token": str(other_id)})[0] == 404

    status, _, html = post(client, f"/manage/users/{user_id}/password-link", {})
    first = LINK_RE.findall(html)
    status, _, html = post(client, f"/manage/users/{user_id}/password-link", {})
    second = LINK_RE.findall(html)
    assert status == 200 and len(first) == len(second) == 1 and first != second
    # a newer link ends the older one
    assert app.test_client().get(first[0].removeprefix("http://localhost")).status_code == 404
    assert app.test_client().get(second[0].removeprefix("http://localhost")).status_code == 200


def test_users_page_in_polish(app: Flask, users: dict[str, User]) -> None:
    client = admin_client(app, users)
    flask_babel.refresh()
    html = client.get("/manage/users", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Użytkownicy" in html and "Dodaj użytkownika" in html and "fotograf" in html
