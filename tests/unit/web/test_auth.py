"""The login and logout pages (gallery/web/auth.py): the audit entry, CSRF, login rate limiting."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.accounts import users as accounts
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import AuditLog, User
from tests.conftest import PASSWORD, csrf_from, login, make_app
from tests.unit.web.conftest import World, failed_login


def test_login_form_records_the_login(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["editor"].email)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.login"))
    assert entry is not None and entry.user_id == users["editor"].id and entry.details["via"] == "web"
    assert users["editor"].last_login_at is not None


def test_login_form_error_keeps_the_email_and_says_why(client: FlaskClient, users: dict[str, User]) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": users["editor"].email, "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert users["editor"].email in html
    assert "nope" not in html  # the password is never echoed back
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.login")) is None


def test_csrf_is_on(app: Flask) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


def test_login_without_csrf_token_is_400_and_logs_nobody_in(client: FlaskClient, users: dict[str, User]) -> None:
    response = client.post("/login", data={"email": users["admin"].email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/manage/").status_code == 302
    assert users["admin"].last_login_at is None


def test_login_with_a_forged_csrf_token_is_400(client: FlaskClient, users: dict[str, User]) -> None:
    other = client.application.test_client()
    foreign = csrf_from(other.get("/login").get_data(as_text=True))  # another browser's token
    client.get("/login")
    response = client.post("/login", data={"email": users["admin"].email, "password": PASSWORD, "csrf_token": foreign})
    assert response.status_code == 400
    assert client.get("/manage/").status_code == 302


def test_logout_without_csrf_token_is_400_and_keeps_the_session(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["editor"].email)
    assert client.post("/logout").status_code == 400
    assert client.get("/manage/").status_code == 200


def test_logout_by_get_changes_nothing(client: FlaskClient, users: dict[str, User]) -> None:
    """A cross-site <img src=/logout> must not log anybody out."""
    login(client, users["editor"].email)
    response = client.get("/logout")
    assert response.status_code == 200
    assert client.get("/manage/").status_code == 200
    token = csrf_from(response.get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/manage/").status_code == 302


def assert_sixth_attempt_is_limited(client: FlaskClient, email: str) -> None:
    statuses = [failed_login(client, email).status_code for _ in range(5)]
    assert statuses == [401] * 5
    sixth = failed_login(client, email)
    assert sixth.status_code == 429
    assert "Retry-After" in sixth.headers
    # Even the right password is refused now, and nobody is logged in.
    assert failed_login(client, email, PASSWORD).status_code == 429
    assert client.get("/manage/").status_code == 302


def test_sixth_failed_login_for_one_email_is_429(client: FlaskClient, users: dict[str, User]) -> None:
    email = users["editor"].email
    assert_sixth_attempt_is_limited(client, email)
    # The limit is per e-mail address (case-insensitively): another account still answers.
    assert failed_login(client, email.upper()).status_code == 429
    assert failed_login(client, users["admin"].email).status_code == 401


@pytest.fixture
def redis_client(redis_db_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_db_url)
    yield client
    client.close()


def test_login_rate_limit_in_redis(tmp_path: Path, redis_db_url: str, redis_client: object) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'rl.db'}", GALLERY_RATELIMIT_STORAGE_URL=redis_db_url)
    email = f"rl-{uuid.uuid4().hex[:12]}@example.org"
    with app.app_context():
        db.create_all()
        accounts.create_user(db.session, email=email, role="editor", password=PASSWORD, actor=SYSTEM)
        db.session.commit()
        try:
            assert_sixth_attempt_is_limited(app.test_client(), email)
            # The counter lives in Redis: a second app (another gunicorn worker) sees it.
            other = make_app(
                tmp_path / "other", f"sqlite:///{tmp_path / 'rl.db'}", GALLERY_RATELIMIT_STORAGE_URL=redis_db_url
            )
            assert failed_login(other.test_client(), email).status_code == 429
            keys = [k.decode() for k in redis_client.keys(f"*{email}*")]  # type: ignore[attr-defined]
            assert keys, "no rate-limit counter in Redis"
        finally:
            for key in redis_client.keys(f"*{email}*"):  # type: ignore[attr-defined]
                redis_client.delete(key)  # type: ignore[attr-defined]
            db.session.remove()
            db.engine.dispose()


def _html_theme(client: FlaskClient, path: str) -> str | None:
    match = re.search(r'<html[^>]* data-theme="([a-z]+)"', client.get(path).get_data(as_text=True))
    return match.group(1) if match else None


def test_the_theme_toggle_is_a_cookie_and_photo_pages_default_to_dark(client: FlaskClient, world: World) -> None:
    album = f"/albums/{world.public.slug}"
    photo = f"{album}/photos/{world.photos['opening']}"
    assert _html_theme(client, "/") == "auto"  # prefers-color-scheme
    assert _html_theme(client, album) == "dark"
    assert _html_theme(client, photo) == "dark"
    assert _html_theme(client, f"/embed/albums/{world.public.slug}") == "dark"
    assert _html_theme(client, f"/embed/albums/{world.public.slug}?theme=light") == "light"
    assert _html_theme(client, "/no/such/page") == "auto"

    response = client.get("/theme/light?next=" + album)
    assert response.status_code == 302 and response.headers["Location"] == album
    assert "theme=light" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert _html_theme(client, "/") == "light"
    assert _html_theme(client, album) == "light"  # the visitor's choice wins everywhere
    assert _html_theme(client, "/no/such/page") == "light"
    assert _html_theme(client, f"/embed/albums/{world.public.slug}") == "dark"  # embeds carry no cookies

    client.get("/theme/dark")
    assert _html_theme(client, "/") == "dark"
    client.get("/theme/auto")
    assert _html_theme(client, "/") == "auto" and _html_theme(client, album) == "dark"
    client.get("/theme/<script>")  # unknown: ignored
    assert _html_theme(client, "/") == "auto"
    assert client.get("/theme/dark?next=https://evil.example/").headers["Location"] == "/"


def test_error_pages_keep_the_site_header(client: FlaskClient) -> None:
    html = client.get("/no/such/page").get_data(as_text=True)
    assert 'class="site-header"' in html and "<nav" in html and "/language/pl" in html and 'class="site-footer"' in html
