"""Redirect targets never leave the site (gallery/http/safety.py): after login and after the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gallery.http.safety import safe_next
from gallery.models import Role, User
from tests.conftest import PASSWORD, csrf_from, make_user

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


# --- the rule itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [*EVIL_TARGETS, "", None, "manage/", "?x=1", "#top", "/ok\x7f", " //evil.example"])
def test_safe_next_refuses_everything_off_site(target: str | None) -> None:
    assert safe_next(target, default="/manage/") == "/manage/"


@pytest.mark.parametrize("target", ["/", "/manage/audit?x=1", "/albums/a#photo-3", " /albums/a ", "/a/b:c"])
def test_safe_next_follows_paths_on_this_site(target: str) -> None:
    assert safe_next(target) == target.strip()
