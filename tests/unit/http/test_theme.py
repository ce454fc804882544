"""Which colour theme a page is drawn in."""

from __future__ import annotations

from gallery.http.theme import chosen, embed_theme, page_theme


def test_only_light_and_dark_are_a_choice() -> None:
    assert chosen({"theme": "dark"}) == "dark"
    assert chosen({"theme": "light"}) == "light"
    assert chosen({"theme": "auto"}) is None
    assert chosen({"theme": "<script>"}) is None
    assert chosen({}) is None


def test_photo_pages_are_dark_unless_the_visitor_chose() -> None:
    assert page_theme(None, photo_page=True) == "dark"
    assert page_theme(None, photo_page=False) == "auto"
    assert page_theme("light", photo_page=True) == "light"
    assert page_theme("dark", photo_page=False) == "dark"


def test_embeds_take_the_theme_from_their_url_and_default_to_dark() -> None:
    assert embed_theme("light") == "light"
    assert embed_theme(None) == "dark"
    assert embed_theme("auto") == "dark"
    assert embed_theme("x") == "dark"
