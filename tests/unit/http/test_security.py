"""Security (gallery/http/security.py): response headers and the request id on every kind of response, one
request log line, embeddable views, session cookies."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, abort
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gallery.accounts import users as accounts
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.http.security import allow_connect, embeddable
from gallery.models import User
from tests.conftest import PASSWORD, csrf_from, make_app
from tests.unit.web.conftest import failed_login


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
    "json 405": ("PUT", "/api/v1/events", None, 405),
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
    prod = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'p.db'}",
        GALLERY_ENV="production",
        GALLERY_SECRET_KEY="s" * 40,
        GALLERY_BASE_URL="https://localhost",
    )
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


# --- a page that may connect elsewhere (the upload page to the bucket) --------------------------------


def connect_app(tmp_path: Path) -> Flask:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'connect.db'}")
    bp = Blueprint("test_connect", __name__)

    @bp.route("/test-connect/<path:origin>")
    def connecting(origin: str) -> str:
        allow_connect(None)  # nothing to add: the default policy
        allow_connect(origin.replace("|", "://"))
        return "<p>uploads</p>"

    @bp.route("/test-connect-none")
    def plain() -> str:
        allow_connect(None)
        return "<p>plain</p>"

    app.register_blueprint(bp)
    return app


def test_allow_connect_adds_the_origin_to_that_response_only(tmp_path: Path) -> None:
    client = connect_app(tmp_path).test_client()
    response = client.get("/test-connect/https|bucket.s3.eu-central-1.amazonaws.com")
    assert csp_directives(response)["connect-src"] == "'self' https://bucket.s3.eu-central-1.amazonaws.com"
    assert_hardened(response)
    assert (
        csp_directives(client.get("/test-connect/http|127.0.0.1:9000"))["connect-src"] == "'self' http://127.0.0.1:9000"
    )
    assert csp_directives(client.get("/test-connect/http|[::1]:9000"))["connect-src"] == "'self' http://[::1]:9000"
    # The next request, and a page that adds nothing, keep 'self' alone.
    assert csp_directives(client.get("/test-connect-none"))["connect-src"] == "'self'"
    assert csp_directives(client.get("/"))["connect-src"] == "'self'"


@pytest.mark.parametrize("origin", ["https|evil.example.org; script-src *", "javascript|x", "https|a.example.org/path"])
def test_allow_connect_refuses_what_is_not_an_origin(tmp_path: Path, origin: str) -> None:
    app = connect_app(tmp_path)
    with app.test_request_context("/"), pytest.raises(ValueError):
        allow_connect(origin.replace("|", "://"))


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
    app = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'prod.db'}",
        GALLERY_ENV="production",
        GALLERY_SECRET_KEY="production-secret-" + "y" * 32,
        GALLERY_BASE_URL="https://localhost",
    )
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


def request_lines(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name == "gallery.request"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/no-such-page", 404),
        ("POST", "/api/v1/events", 401),
        ("POST", "/login", 400),
        ("GET", "/test-boom", 500),
    ],
)
def test_one_log_line_per_request_with_the_request_id(
    boom_app: Flask, gallery_logs: pytest.LogCaptureFixture, method: str, path: str, status: int
) -> None:
    client = boom_app.test_client()
    gallery_logs.clear()
    response = client.open(path, method=method, json={} if path.startswith("/api") else None)
    assert response.status_code == status
    rid = response.headers["X-Request-ID"]
    lines = request_lines(gallery_logs)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    message = lines[0].getMessage()
    assert rid in message and path in message and method in message and str(status) in message
    assert getattr(lines[0], "request_id", None) == rid


@pytest.mark.app_config(GALLERY_LOG_FORMAT="json")
def test_the_request_line_in_json_names_request_user_method_path_status_and_duration(
    app: Flask, gallery_logs: pytest.LogCaptureFixture, tokens: dict[str, str], users: dict[str, Any]
) -> None:
    from gallery.logs import gallery_handler

    client = app.test_client()
    gallery_logs.clear()
    anonymous = client.get("/no-such-page")
    with_token = client.get("/api/v1/events", headers={"Authorization": f"Bearer {tokens['editor']}"})
    handler = gallery_handler()
    assert handler is not None
    parsed = [json.loads(handler.format(record)) for record in request_lines(gallery_logs)]
    assert len(parsed) == 2
    keys = {"request_id", "user_id", "method", "path", "status", "duration_ms"}
    assert all(keys <= set(line) for line in parsed), parsed
    first, second = parsed
    assert first["request_id"] == anonymous.headers["X-Request-ID"]
    assert (first["method"], first["path"], first["status"], first["user_id"]) == ("GET", "/no-such-page", 404, None)
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert second["request_id"] == with_token.headers["X-Request-ID"]
    assert (second["path"], second["status"], second["user_id"]) == ("/api/v1/events", 200, users["editor"].id)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/search?credit=a%00b",
        "/api/v1/search?camera=a%00",
        "/api/v1/search?session=a%00&event=x",
        "/api/v1/albums/a%00b/photos",
        "/search?q=%00",
        "/albums/a%00b",
        "/?x%00=1",
    ],
)
def test_a_nul_in_the_address_is_400_before_any_view(client: FlaskClient, url: str) -> None:
    """PostgreSQL cannot compare text with NUL: every filter with one used to be a 500 (found by fuzzing)."""
    response = client.get(url)
    assert response.status_code == 400
    assert response.headers.get("X-Request-ID")  # the request was started and logged
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "bad_request"
        assert "NUL" in response.get_json()["error"]["message"]
