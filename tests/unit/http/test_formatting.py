"""The visitor's formats (gallery/http/formatting.py): gallery.core.formatting bound to the request's
locale, and ngettext with the count written the locale's way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import flask_babel
import pytest
from flask import Flask

from gallery.http import formatting


@pytest.fixture
def in_language(app: Flask) -> Iterator[Callable[[str], None]]:
    contexts = []

    def enter(language: str) -> None:
        flask_babel.refresh()
        ctx = app.test_request_context("/", headers={"Accept-Language": language})
        ctx.push()
        contexts.append(ctx)

    yield enter
    for ctx in reversed(contexts):
        ctx.pop()
    flask_babel.refresh()


def test_bound_to_the_requests_language(in_language: Callable[[str], None]) -> None:
    in_language("pl")
    assert formatting.locale_name() == "pl"
    assert formatting.day(date(2024, 5, 7)) == "7 maja 2024"
    assert formatting.date_range(date(2024, 5, 7), date(2024, 5, 8)) == "7–8 maja 2024"
    assert formatting.date_range(date(2024, 5, 7)) == "7 maja 2024"
    assert formatting.moment(datetime(2024, 5, 7, 7, 31, tzinfo=UTC)) == "7 maja 2024, 07:31 (UTC+00:00)"
    assert formatting.number(12345) == "12\u00a0345"
    assert [formatting.day(None), formatting.date_range(None), formatting.moment(None), formatting.number(None)] == [
        "",
        "",
        "",
        "",
    ]


def test_ngettext_picks_the_plural_form_and_groups_the_number(in_language: Callable[[str], None]) -> None:
    in_language("en")
    assert formatting.ngettext("%(num)d photo", "%(num)d photos", 1) == "1 photo"
    assert formatting.ngettext("%(num)d photo", "%(num)d photos", 2500) == "2,500 photos"
    in_language("pl")
    assert [formatting.ngettext("%(num)d photo", "%(num)d photos", n) for n in (1, 2, 5, 22, 25)] == [
        "1 zdjęcie",
        "2 zdjęcia",
        "5 zdjęć",
        "22 zdjęcia",
        "25 zdjęć",
    ]
