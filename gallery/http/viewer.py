"""Who is looking at this request, as :mod:`gallery.catalog.visibility` needs to know.

Every view that shows albums, photos, reports or media asks here and passes the
:class:`~gallery.catalog.visibility.Viewer` to the domain: the acting user (session or API token)
and the ``?token=`` share token the URL carries -- or, on public artefacts (embeds, oEmbed, feed,
sitemap), the token alone."""

from __future__ import annotations

from flask import request

from gallery.catalog.visibility import Viewer
from gallery.http.guard import acting_user


def request_token() -> str | None:
    """The ``?token=`` of this request (unchecked; the rule checks it against each album)."""
    return request.args.get("token") or None


def current_viewer() -> Viewer:
    """The viewer of an ordinary page, download or API answer."""
    return Viewer.of(acting_user(), request_token())


def artefact_viewer(token: str | None = None) -> Viewer:
    """The viewer of a public artefact: anyone, with ``token`` (default: this request's ``?token=``)."""
    return Viewer.artefact(token if token is not None else request_token())
