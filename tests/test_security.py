"""Security: response headers, embeddable views, CSRF, session cookies, login rate limiting,
open redirects, password and token storage."""

from __future__ import annotations

import hashlib
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Blueprint, Flask, abort
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gallery.accounts import users as accounts
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.http.security import embeddable
from gallery.models import ApiToken, Role, User
from tests.conftest import PASSWORD, csrf_from, login, make_app, make_user

REDIS_URL = "redis://127.0.0.1:6379/15"


def csp_directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


def assert_hardened(response: TestResponse) -> None:
    csp = csp_directives(response)
    assert csp.get("frame-ancestors") == "'self'", response.headers
    assert csp.get("default-src") == "'self'"
    assert csp.get("object-src") == "'none'"
    assert response.headers.get("X-Frame-Options") in ("SAMEORIGIN", "DENY")
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy")
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers.get("X-Request-ID", "")), response.headers


# --- headers on every kind of response ---------------------------------------------------------


@pytest.fixture
def boom_app(app: Flask) -> Flask:
    """The app with a route that fails unexpectedly (added before the first request)."""

    def boom() -> str:
        raise RuntimeError("kaboom: secret internals")

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.add_url_rule("/api/v1/test-boom", "test_api_boom", boom)
    return app


REQUESTS = {
    "html page": ("GET", "/", None, 200),
    "login form": ("GET", "/login", None, 200),
    "json health": ("GET", "/healthz", None, 200),
    "html redirect": ("GET", "/manage/", None, 302),
    "html 404": ("GET", "/no-such-page", None, 404),
    "json 404": ("GET", "/api/v1/no-such-thing", None, 404),
    "json 401": ("POST", "/api/v1/events", {}, 401),
    "json 405": ("GET", "/api/v1/events", None, 405),
    "csrf 400": ("POST", "/login", None, 400),
    "static file": ("GET", "/static/css/gallery.css", None, 200),
    "html 500": ("GET", "/test-boom", None, 500),
    "json 500": ("GET", "/api/v1/test-boom", None, 500),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_every_response_is_hardened(boom_app: Flask, name: str) -> None:
    method, path, json, status = REQUESTS[name]
    response = boom_app.test_client().open(path, method=method, json=json)
    assert response.status_code == status
    assert_hardened(response)


def test_rate_limited_responses_are_hardened(client: FlaskClient) -> None:
    responses = [failed_login(client, "nobody@example.org") for _ in range(6)]
    assert responses[-1].status_code == 429
    assert_hardened(responses[-1])


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client: FlaskClient) -> None:
    assert client.get("/", headers={"X-Request-ID": "abc-123_XYZ.42"}).headers["X-Request-ID"] == "abc-123_XYZ.42"
    for bad in ("short", "has spaces in it", "x" * 65, "<script>alert(1)</script>"):
        rid = client.get("/", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert rid != bad and re.fullmatch(r"[0-9a-f]{32}", rid)
    first, second = client.get("/").headers["X-Request-ID"], client.get("/").headers["X-Request-ID"]
    assert first != second
    # "$" would accept a trailing newline, which then breaks the response header (and the log line)
    response = client.get("/", environ_overrides={"HTTP_X_REQUEST_ID": "abcdefgh\n"})
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_production_sends_hsts(tmp_path: Path) -> None:
    prod = make_app(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", GALLERY_ENV="production", GALLERY_SECRET_KEY="s" * 40,
                    GALLERY_BASE_URL="https://localhost")
    response = prod.test_client().get("/static/css/gallery.css")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert_hardened(response)


# --- embeddable views --------------------------------------------------------------------------------


def embed_app(tmp_path: Path, **overrides: str) -> Flask:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'embed.db'}", **overrides)
    bp = Blueprint("test_embed", __name__)

    @bp.route("/test-embed/<name>")
    @embeddable
    def framed(name: str) -> str:
        if name == "missing":
            abort(404)
        return f"<p>{name}</p>"

    @bp.route("/test-embed-plain")
    def plain() -> str:
        return "<p>plain</p>"

    app.register_blueprint(bp)
    return app


def test_embeddable_view_uses_the_allowed_origins(tmp_path: Path) -> None:
    app = embed_app(tmp_path, GALLERY_EMBED_ALLOWED_ORIGINS="https://news.example.org, https://b.example.com")
    client = app.test_client()
    response = client.get("/test-embed/x")
    assert response.status_code == 200
    assert csp_directives(response)["frame-ancestors"] == "https://news.example.org https://b.example.com"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Request-ID"]
    # Only the marked view: its neighbour keeps the default.
    assert_hardened(client.get("/test-embed-plain"))
    assert_hardened(client.get("/"))


def test_embeddable_default_is_any_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GALLERY_EMBED_ALLOWED_ORIGINS", raising=False)
    response = embed_app(tmp_path).test_client().get("/test-embed/x")
    assert csp_directives(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response.headers


def test_embeddable_error_page_keeps_the_embed_policy(tmp_path: Path) -> None:
    app = embed_app(tmp_path, GALLERY_EMBED_ALLOWED_ORIGINS="https://news.example.org")
    response = app.test_client().get("/test-embed/missing")
    assert response.status_code == 404
    assert csp_directives(response)["frame-ancestors"] == "https://news.example.org"


# --- CSRF ----------------------------------------------------------------------------------------------


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


# --- cookies -------------------------------------------------------------------------------------------


def set_cookies(response: TestResponse) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def login_response(client: FlaskClient, email: str, remember: bool = False) -> TestResponse:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def cookie_flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, users: dict[str, User]) -> None:
    cookies = set_cookies(login_response(client, users["editor"].email, remember=True))
    for name in ("session", "remember_token"):
        flags = cookie_flags(cookies[name])
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "secure" not in flags  # development over plain http must keep working


def test_cookies_are_secure_in_production(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'prod.db'}", GALLERY_ENV="production",
                   GALLERY_SECRET_KEY="production-secret-" + "y" * 32, GALLERY_BASE_URL="https://localhost")
    with app.app_context():
        db.create_all()
        accounts.create_user(db.session, email="prod@example.org", role="editor", password=PASSWORD, actor=SYSTEM)
        db.session.commit()
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        cookies = set_cookies(login_response(client, "prod@example.org", remember=True))
        db.session.remove()
        db.engine.dispose()
    for name in ("session", "remember_token"):
        flags = cookie_flags(cookies[name])
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookies[name]


# --- login rate limiting ----------------------------------------------------------------------------------


def failed_login(client: FlaskClient, email: str, password: str = "wrong password") -> TestResponse:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


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


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_client() -> Iterator[object]:
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


def test_login_rate_limit_in_redis(tmp_path: Path, redis_client: object) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'rl.db'}", GALLERY_RATELIMIT_STORAGE_URL=REDIS_URL)
    email = f"rl-{uuid.uuid4().hex[:12]}@example.org"
    with app.app_context():
        db.create_all()
        accounts.create_user(db.session, email=email, role="editor", password=PASSWORD, actor=SYSTEM)
        db.session.commit()
        try:
            assert_sixth_attempt_is_limited(app.test_client(), email)
            # The counter lives in Redis: a second app (another gunicorn worker) sees it.
            other = make_app(tmp_path / "other", f"sqlite:///{tmp_path / 'rl.db'}", GALLERY_RATELIMIT_STORAGE_URL=REDIS_URL)
            assert failed_login(other.test_client(), email).status_code == 429
            keys = [k.decode() for k in redis_client.keys(f"*{email}*")]  # type: ignore[attr-defined]
            assert keys, "no rate-limit counter in Redis"
        finally:
            for key in redis_client.keys(f"*{email}*"):  # type: ignore[attr-defined]
                redis_client.delete(key)  # type: ignore[attr-defined]
            db.session.remove()
            db.engine.dispose()


# --- open redirects -------------------------------------------------------------------------------------

EVIL_TARGETS = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/manage/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "///evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    "/x\r\nSet-Cookie: pwned=1",
    "/x\nLocation: https://evil.example",
]


def off_site(response: TestResponse, default: str) -> str | None:
    """Why this redirect is not the safe default, or None when it is."""
    if response.status_code != 302:
        return f"status {response.status_code}"
    location = response.headers["Location"]
    parts = urlsplit(location)
    if parts.netloc not in ("", "localhost") or "\\" in location or "evil" in location:
        return f"leaves the site: {location!r}"
    if location != default:
        return f"not the default {default!r}: {location!r}"
    if "pwned" in response.headers.get("Set-Cookie", ""):
        return "header injection"
    return None


def test_login_next_never_leaves_the_site(client: FlaskClient, users: dict[str, User]) -> None:
    problems = []
    for n, target in enumerate(EVIL_TARGETS, start=1):
        # a user and an address of its own for each attempt, so that rate limits stay out of it
        email = make_user(Role.editor, f"next{n}@example.org").email
        fresh = client.application.test_client()
        fresh.environ_base["REMOTE_ADDR"] = f"192.0.2.{n}"
        token = csrf_from(fresh.get("/login").get_data(as_text=True))
        data = {"email": email, "password": PASSWORD, "csrf_token": token}
        after_login = fresh.post("/login", query_string={"next": target}, data=data)
        # already logged in: GET /login?next=… redirects at once
        already = fresh.get("/login", query_string={"next": target})
        for when, response in (("after login", after_login), ("logged in", already)):
            problem = off_site(response, "/manage/")
            if problem:
                problems.append(f"next={target!r} {when}: {problem}")
    assert problems == []


def test_language_switch_next_never_leaves_the_site(client: FlaskClient) -> None:
    problems = []
    for target in EVIL_TARGETS:
        problem = off_site(client.get("/language/pl", query_string={"next": target}), "/")
        if problem:
            problems.append(f"next={target!r}: {problem}")
    assert problems == []


def test_safe_next_is_followed(client: FlaskClient, users: dict[str, User]) -> None:
    response = client.get("/language/en", query_string={"next": "/manage/audit?x=1"})
    assert response.headers["Location"] == "/manage/audit?x=1"
    assert "lang=en" in response.headers["Set-Cookie"]


# --- stored secrets -------------------------------------------------------------------------------------


def database_text() -> str:
    """Every row of every table, as text."""
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_passwords_are_argon2id_hashes(app: Flask, users: dict[str, User]) -> None:
    for user in users.values():
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(user.password_hash, PASSWORD)
    assert PASSWORD not in database_text()
    assert len({u.password_hash for u in users.values()}) == len(users)  # salted


def test_tokens_are_stored_hashed(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    issued = accounts.create_token(db.session, user=users["editor"], name="lightroom", actor=SYSTEM)
    db.session.commit()
    secret = issued.secret
    assert len(secret) >= 40
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == issued.token.id))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(stored.prefix) and len(stored.prefix) < len(secret) // 2
    # use it once, so last_used_at and the audit log are written too
    response = client.post(
        "/api/v1/events",
        json={"title": "Hashed", "starts_on": "2024-01-01", "ends_on": "2024-01-01", "timezone": "UTC"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
    dump = database_text()
    assert secret not in dump
    assert secret[len(stored.prefix):] not in dump
