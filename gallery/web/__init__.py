"""Visitor-facing HTML pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)

from gallery.web import auth, downloads, feeds, media, pages  # noqa: E402,F401
