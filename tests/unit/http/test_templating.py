"""What every template may use (gallery/http/templating.py): the locale, the permission check, the request id,
date filters in the visitor's language, the current path and absolute URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import flask_babel
from flask import Flask, g, render_template_string

from gallery.http.templating import LANGUAGE_NAMES
from gallery.models import Role, User
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


def _render_in(app: Flask, language: str, template: str, **values: object) -> str:
    flask_babel.refresh()  # the test's app context outlives the request; a real one would not
    with app.test_request_context("/", headers={"Accept-Language": language}):
        text = render_template_string(template, **values)
    flask_babel.refresh()
    return text


def test_date_and_number_filters_speak_the_visitors_language(app: Flask) -> None:
    """One format each (gallery.core.formatting), in the visitor's language; None renders as nothing."""
    values = {
        "day": date(2024, 5, 7),
        "end": date(2024, 5, 8),
        "moment": datetime(2024, 5, 7, 7, 31, tzinfo=UTC),
        "zone": ZoneInfo("Europe/Warsaw"),
        "count": 12345,
        "none": None,
    }
    template = (
        "{{ day|day }}|{{ day|date }}|{{ day|date_range(end) }}|{{ moment|datetime }}|{{ moment|datetime(zone) }}|"
        "{{ count|number }}|{{ 2.85|number }}|{{ none|day }}{{ none|datetime }}{{ none|number }}{{ none|date_range }}"
    )
    polish = _render_in(app, "pl", template, **values).split("|")
    english = _render_in(app, "en", template, **values).split("|")
    nbsp = "\u00a0"
    assert polish == [
        "7 maja 2024",
        "7 maja 2024",
        "7–8 maja 2024",
        "7 maja 2024, 07:31 (UTC+00:00)",
        "7 maja 2024, 09:31 (UTC+02:00)",
        f"12{nbsp}345",
        "2,8",
        "",
    ]
    assert english == [
        "7 May 2024",
        "7 May 2024",
        "7–8 May 2024",
        "7 May 2024, 07:31 (UTC+00:00)",
        "7 May 2024, 09:31 (UTC+02:00)",
        "12,345",
        "2.8",
        "",
    ]


def test_ngettext_in_templates_writes_the_count_with_separators(app: Flask) -> None:
    """The plural form follows the number (Polish has three), the number gets the locale's grouping,
    and the variables are escaped."""
    template = (
        '{{ ngettext("%(num)d photo", "%(num)d photos", n) }}|'
        '{{ ngettext("%(num)d photo in %(album)s", "%(num)d photos in %(album)s", n, album=name) }}'
    )
    english = _render_in(app, "en", template, n=12345, name="<b>A</b>")
    assert english == "12,345 photos|12,345 photos in &lt;b&gt;A&lt;/b&gt;"
    assert _render_in(app, "en", template, n=1, name="x") == "1 photo|1 photo in x"
    polish = [
        _render_in(app, "pl", '{{ ngettext("%(num)d photo", "%(num)d photos", n) }}', n=n) for n in (1, 3, 5, 1234)
    ]
    assert polish == ["1 zdjęcie", "3 zdjęcia", "5 zdjęć", "1\u00a0234 zdjęcia"]


def test_can_follows_the_logged_in_users_role(app: Flask, users: dict[str, User]) -> None:
    """The dashboard links to the audit log with ``can("admin")``."""
    seen = {}
    for role in ("photographer", "editor", "admin"):
        client = app.test_client()
        login(client, users[role].email)
        seen[role] = "/manage/audit" in client.get("/manage/").get_data(as_text=True)
    assert seen == {"photographer": False, "editor": False, "admin": True}


def test_role_names_in_the_visitors_language(app: Flask) -> None:
    template = "{{ role_label(role) }}"
    assert _render_in(app, "pl", template, role=Role.photographer) == "fotograf"
    assert _render_in(app, "en", template, role=Role.photographer) == "photographer"
