"""Embeds: album and photo pages that other sites may frame, and the oEmbed provider."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("embed", __name__)

from gallery.embed import views  # noqa: E402,F401  (registers the routes)
