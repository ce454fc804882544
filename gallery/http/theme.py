"""The colour theme a page is drawn in: the visitor's choice (the ``theme`` cookie, set by
the toggle in the site header, ``/theme/<choice>``), else the page's default: dark on the
photo-viewing pages (album, photo, lightbox, embed), the browser's ``prefers-color-scheme``
(``auto``) everywhere else.  The stylesheet reads ``<html data-theme="light|dark|auto">``."""

from __future__ import annotations

from collections.abc import Mapping

THEMES = ("light", "dark")
CHOICES = (*THEMES, "auto")
COOKIE = "theme"
EMBED_DEFAULT = "dark"


def chosen(cookies: Mapping[str, str]) -> str | None:
    """The visitor's explicit choice, or None (no cookie, ``auto`` or anything unknown)."""
    value = cookies.get(COOKIE)
    return value if value in THEMES else None


def page_theme(choice: str | None, *, photo_page: bool) -> str:
    """The ``data-theme`` of a page: the choice, else dark for photos, else ``auto``."""
    if choice in THEMES:
        return choice
    return "dark" if photo_page else "auto"


def embed_theme(requested: str | None) -> str:
    """An embed's theme comes from its URL (``?theme=light|dark``, chosen in the embed
    dialog), never from a cookie (embeds carry none); dark unless asked otherwise."""
    return requested if requested in THEMES else EMBED_DEFAULT
