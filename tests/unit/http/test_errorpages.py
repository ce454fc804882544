"""Errors: JSON in the contract's shape under /api, HTML pages (Polish and English) elsewhere,
never a stack trace, and one log line per request carrying the request id."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gallery.models import User
from tests.conftest import login, make_app

EVENT = {
    "title": "Errors Conference",
    "starts_on": "2024-05-07",
    "ends_on": "2024-05-08",
    "timezone": "Europe/Brussels",
}
SECRET_DETAIL = "kaboom: db password is hunter2"


@pytest.fixture
def boom_app(app: Flask) -> Flask:
    def boom() -> str:
        raise RuntimeError(SECRET_DETAIL)

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.add_url_rule("/api/v1/test-boom", "test_api_boom", boom, methods=["GET", "POST"])
    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(response: TestResponse, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert "Traceback" not in response.get_data(as_text=True)
    return error


# --- JSON errors ----------------------------------------------------------------------------------


def test_json_401(client: FlaskClient) -> None:
    response = client.post("/api/v1/events", json=EVENT)
    assert_json_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_json_403(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert_json_error(
        client.post("/api/v1/events", json=EVENT, headers=bearer(tokens["photographer"])), 403, "forbidden"
    )


def test_json_404(client: FlaskClient, tokens: dict[str, str]) -> None:
    assert_json_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    error = assert_json_error(
        client.post("/api/v1/events/no-such-event/albums", json={"title": "A"}, headers=bearer(tokens["editor"])),
        404,
        "not_found",
    )
    assert "no-such-event" in error["message"]


def test_json_405(client: FlaskClient) -> None:
    response = client.put("/api/v1/events")  # GET lists them, POST creates one
    assert_json_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_json_409(client: FlaskClient, tokens: dict[str, str]) -> None:
    body = {**EVENT, "slug": "taken"}
    assert client.post("/api/v1/events", json=body, headers=bearer(tokens["editor"])).status_code == 201
    error = assert_json_error(
        client.post("/api/v1/events", json=body, headers=bearer(tokens["editor"])), 409, "conflict"
    )
    assert "taken" in error["message"]


@pytest.mark.app_config(GALLERY_MAX_UPLOAD_MB="1")
def test_json_413(client: FlaskClient, tokens: dict[str, str]) -> None:
    big = '{"title": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = client.post(
        "/api/v1/events", data=big, content_type="application/json", headers=bearer(tokens["editor"])
    )
    error = assert_json_error(response, 413, "payload_too_large")
    assert "1 MB" in error["message"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("title=x", "application/x-www-form-urlencoded"),
        ("<event/>", "application/xml"),
        ('{"title": "x"}', "text/plain"),
    ],
)
def test_json_415_for_a_body_that_is_not_json(
    client: FlaskClient, tokens: dict[str, str], data: str, content_type: str
) -> None:
    response = client.post("/api/v1/events", data=data, content_type=content_type, headers=bearer(tokens["editor"]))
    error = assert_json_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]


def test_json_400_for_broken_json(client: FlaskClient, tokens: dict[str, str]) -> None:
    for data in ('{"title": ', "[1, 2]", '"just a string"', ""):
        response = client.post(
            "/api/v1/events", data=data, content_type="application/json", headers=bearer(tokens["editor"])
        )
        assert_json_error(response, 400, "bad_request")


def test_json_422_names_the_field(client: FlaskClient, tokens: dict[str, str]) -> None:
    error = assert_json_error(
        client.post("/api/v1/events", json={**EVENT, "timezone": "Mars/Olympus"}, headers=bearer(tokens["editor"])),
        422,
        "validation_error",
    )
    assert error.get("field") == "timezone"


def test_json_500_has_no_traceback_and_is_logged_with_the_request_id(
    boom_app: Flask, gallery_logs: pytest.LogCaptureFixture
) -> None:
    response = boom_app.test_client().get("/api/v1/test-boom", headers={"X-Request-ID": "req-500-json-1"})
    error = assert_json_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert SECRET_DETAIL not in text and "RuntimeError" not in text
    assert "req-500-json-1" in error["message"]  # the user can quote it
    logged = [r for r in gallery_logs.records if r.name == "gallery.core.errors" and "req-500-json-1" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert logged[0].exc_info and logged[0].exc_info[0] is RuntimeError  # the trace goes to the log


def test_database_down_is_503_not_500(tmp_path: Path) -> None:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'no-such-dir' / 'gallery.db'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)


# --- HTML pages -----------------------------------------------------------------------------------


def html_lang(response: TestResponse) -> str:
    match = re.search(r'<html[^>]*\blang="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:300]
    return match.group(1)


def h1(response: TestResponse) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert match
    return match.group(1).strip()


def assert_html_error(response: TestResponse, status: int, lang: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert html_lang(response) == lang
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text and SECRET_DETAIL not in text
    assert f">{status}<" in text  # the status is shown


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_html_404(client: FlaskClient, lang: str) -> None:
    assert_html_error(client.get("/no-such-page", headers={"Accept-Language": lang}), 404, lang)


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_html_403(client: FlaskClient, users: dict[str, User], lang: str) -> None:
    login(client, users["photographer"].email)
    assert_html_error(client.get("/manage/audit", headers={"Accept-Language": lang}), 403, lang)


@pytest.mark.app_config(GALLERY_MAX_UPLOAD_MB="1")
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_html_413(client: FlaskClient, lang: str) -> None:
    response = client.post(
        "/login",
        data={"email": "a@example.org", "password": "x" * (3 * 1024 * 1024)},
        headers={"Accept-Language": lang},
    )
    assert_html_error(response, 413, lang)


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_html_500(boom_app: Flask, lang: str) -> None:
    response = boom_app.test_client().get("/test-boom", headers={"Accept-Language": lang})
    assert_html_error(response, 500, lang)
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


def test_language_follows_accept_language_and_the_switch(client: FlaskClient) -> None:
    assert html_lang(client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})) == "pl"
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE, en;q=0.5"})) == "en"
    assert html_lang(client.get("/", headers={"Accept-Language": "fr"})) == "en"  # default
    client.get("/language/pl")  # the switch in the page wins over the browser's header
    assert html_lang(client.get("/no-such-page", headers={"Accept-Language": "en"})) == "pl"


@pytest.mark.parametrize("path", ["/no-such-page", "/login"])
def test_polish_pages_are_translated(client: FlaskClient, path: str) -> None:
    """The Polish catalogue is compiled and used: the heading is not the English one."""
    polish = h1(client.get(path, headers={"Accept-Language": "pl"}))
    english = h1(client.get(path, headers={"Accept-Language": "en"}))
    assert polish != english, f"{path}: the Polish page shows the English heading {english!r}"
