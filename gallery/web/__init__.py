"""Visitor-facing HTML pages: the blueprint (:mod:`gallery.web.blueprint`) with the routes of its
view modules."""

from __future__ import annotations

from gallery.web import account, auth, downloads, feeds, live, media, pages, privacy, search, sessions, takedown
from gallery.web.blueprint import bp

__all__ = [
    "account",
    "auth",
    "bp",
    "downloads",
    "feeds",
    "live",
    "media",
    "pages",
    "privacy",
    "search",
    "sessions",
    "takedown",
]
