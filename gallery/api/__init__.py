"""JSON API v1 (``/api/v1``), bearer-token authentication: the blueprint
(:mod:`gallery.api.blueprint`) with the routes of its view modules."""

from __future__ import annotations

from gallery.api import (
    albums,
    blur,
    clock,
    direct_uploads,
    event_routes,
    events,
    openapi,
    photo_list,
    photos,
    reports,
    schedule,
    search,
    takedowns,
    uploads,
)
from gallery.api.blueprint import bp

__all__ = [
    "albums",
    "blur",
    "bp",
    "clock",
    "direct_uploads",
    "event_routes",
    "events",
    "openapi",
    "photo_list",
    "photos",
    "reports",
    "schedule",
    "search",
    "takedowns",
    "uploads",
]
