"""Which language a request is answered in."""

from __future__ import annotations

from flask import Flask

from gallery.http.locale import LANGUAGES, select_locale


def _locale(headers: dict[str, str]) -> str:
    with Flask("t").test_request_context("/", headers=headers):
        return select_locale()


def test_the_cookie_wins_then_the_browser_then_english() -> None:
    assert _locale({"Cookie": "lang=pl", "Accept-Language": "en"}) == "pl"
    assert _locale({"Accept-Language": "de, pl;q=0.8, en;q=0.5"}) == "pl"
    assert _locale({"Accept-Language": "de"}) == "en"
    assert _locale({}) == "en"


def test_an_unknown_cookie_language_is_ignored() -> None:
    assert _locale({"Cookie": "lang=xx", "Accept-Language": "pl"}) == "pl"
    assert set(LANGUAGES) == {"pl", "en"}
