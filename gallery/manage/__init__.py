"""Management area for editors and photographers (under /manage/): the blueprint
(:mod:`gallery.manage.blueprint`) with the routes of its view modules."""

from __future__ import annotations

from gallery.manage import albums, blur, events, photos, profile, programme, reports, takedowns, upload, users, views
from gallery.manage.blueprint import bp

__all__ = [
    "albums",
    "blur",
    "bp",
    "events",
    "photos",
    "profile",
    "programme",
    "reports",
    "takedowns",
    "upload",
    "users",
    "views",
]
