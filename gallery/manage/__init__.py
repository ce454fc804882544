"""Management area for editors and photographers (under /manage/)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manage", __name__)

from gallery.manage import albums, events, photos, reports, upload, views  # noqa: E402,F401
