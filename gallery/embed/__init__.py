"""Embeds: album and photo pages that other sites may frame, and the oEmbed provider: the blueprint
(:mod:`gallery.embed.blueprint`) with the routes of :mod:`gallery.embed.views`."""

from __future__ import annotations

from gallery.embed import views
from gallery.embed.blueprint import bp

__all__ = ["bp", "views"]
