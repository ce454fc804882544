"""What every template may use (gallery/http/templating.py): the locale, the permission check, the request id,
date filters in the visitor's language, the current path and absolute URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import flask_babel
from flask import Flask, g, render_template_string

from gallery.http.templating import LANGUAGE_NAMES
from gallery.models import User
from tests.conftest import login


def test_globals_of_every_page(app: Flask) -> None:
    with app.test_request_context("/albums/a?page=2", headers={"Accept-Language": "pl"}):
        g.request_id = "rid-42"
        text = render_template_string(
            "{{ current_locale }}|{{ language_names['pl'] }}|{{ request_id }}|{{ current_path() }}|"
            "{{ absolute_url('/albums/a') }}|{{ can('edit_content') }}"
        )
    assert text == "pl|Polski|rid-42|/albums/a?page=2|http://localhost/albums/a|False"
    assert LANGUAGE_NAMES == {"pl": "Polski", "en": "English"}


def test_the_current_path_drops_an_empty_query(app: Flask) -> None:
    with app.test_request_context("/events/ecc"):
        assert render_template_string("{{ current_path() }}") == "/events/ecc"


def test_date_filters_speak_the_visitors_language(app: Flask) -> None:
    day = date(2024, 5, 7)
    moment = datetime(2024, 5, 7, 7, 31, tzinfo=UTC)
    template = (
        "{{ day|date }}|{{ day|date('short') }}|{{ none|date }}|{{ none|datetime }}|{{ moment|datetime('short') }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        polish = render_template_string(template, day=day, moment=moment, none=None)
    flask_babel.refresh()  # the test's app context outlives the request; a real one would not
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(template, day=day, moment=moment, none=None)
    assert polish.split("|")[0] == "7 maja 2024" and english.split("|")[0] == "May 7, 2024"
    assert polish.split("|")[2:4] == ["", ""] and english.split("|")[2:4] == ["", ""]
    assert polish.split("|")[1] != english.split("|")[1]
    assert english.split("|")[4].replace("\u202f", " ") == "5/7/24, 7:31 AM"  # in UTC; CLDR 42+ puts a narrow space


def test_can_follows_the_logged_in_users_role(app: Flask, users: dict[str, User]) -> None:
    """The dashboard links to the audit log with ``can("admin")``."""
    seen = {}
    for role in ("photographer", "editor", "admin"):
        client = app.test_client()
        login(client, users[role].email)
        seen[role] = "/manage/audit" in client.get("/manage/").get_data(as_text=True)
    assert seen == {"photographer": False, "editor": False, "admin": True}
