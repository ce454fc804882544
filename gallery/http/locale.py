"""The languages of the site, and which one a request is answered in."""

from __future__ import annotations

from flask import request

LANGUAGES = ("pl", "en")
DEFAULT_LANGUAGE = "en"


def select_locale() -> str:
    """The ``lang`` cookie's language (set by the language switch), else the best match of the
    browser's ``Accept-Language``, else English.  Flask-Babel's locale selector."""
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
