"""An album while its event is on: ``/albums/<album>/live`` (the full-screen slideshow of the newest
photos for the screen in the hall) and ``/albums/<album>/live.json`` (the newest photos, which the
slideshow and open album pages poll to pick up new ones without a reload).

Polling, not Server-Sent Events: an open connection per viewer would hold a web worker each, while
an answer here is two indexed queries, and an unchanged one is a 304 (weak ETag over the body)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.catalog.media_access import media_right
from gallery.catalog.visibility import presented_token, visible_album
from gallery.http import context
from gallery.http.render import credit_labels, image_sets, page_response
from gallery.http.viewer import current_viewer
from gallery.photos import live
from gallery.web.blueprint import bp
from gallery.web.views_album import tile_html

#: Seconds between slides (``?interval=`` picks another within these bounds).
SLIDE_SECONDS = (8, 3, 120)
#: Seconds between two polls of the live feed on the slideshow and on album pages.
POLL_SECONDS = {"slideshow": 10, "album": 15}


def _after() -> int:
    value = request.args.get("after", "0")
    return int(value) if value.isdigit() and len(value) <= 18 else 0


@bp.route("/albums/<album>/live.json")
def album_live_feed(album: str) -> Response:
    """The album's newest photos the viewer may see, newest first (at most ``live.LIVE_LIMIT``),
    uploaded after ``?after=<photo id>`` when given; ``cursor`` is where to ask next."""
    viewer = current_viewer()
    session = context.db_session()
    found = visible_album(session, album, viewer)
    after = _after()
    cards = live.newest_photos(session, found, viewer, after=after)
    images = image_sets(cards, {found.id: media_right(viewer, found)})
    token = presented_token(viewer, found)
    prefix = url_for("web.photo", album=found.slug, photo_id=0)[:-1]
    query = "?" + urlencode({"token": token}) if token else ""
    label = credit_labels()
    photos: list[dict[str, Any]] = []
    for card in cards:
        image = images.get(card.id)
        if image is None:
            continue
        alt = card.alt_text.strip() or card.caption.strip() or _("New photo in %(album)s", album=found.title)
        photos.append(
            {
                "id": card.id,
                "url": f"{prefix}{card.id}{query}",
                "caption": card.caption,
                "credit": label(card.credit) if card.credit else "",
                "alt": alt,
                "src": image.src.url,
                "srcset": image.jpeg_srcset,
                "webp_srcset": image.webp_srcset,
                "width": image.src.width,
                "height": image.src.height,
                "html": tile_html(
                    card, image, alt_text=alt, photo_prefix=prefix, token_query=query, credit_label=label
                ),
            }
        )
    cursor = max([after, *(card.id for card in cards)])
    response = jsonify({"cursor": cursor, "photos": photos})
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    response.add_etag(weak=True)
    return response.make_conditional(request)


@bp.route("/albums/<album>/live")
def album_live(album: str) -> Response:
    """The slideshow for the hall: full screen, newest first, captions, no controls needed."""
    viewer = current_viewer()
    found = visible_album(context.db_session(), album, viewer)
    token = presented_token(viewer, found)
    default, lowest, highest = SLIDE_SECONDS
    asked = request.args.get("interval", "")
    interval = min(highest, max(lowest, int(asked))) if asked.isdigit() and len(asked) <= 4 else default
    return page_response(
        render_template(
            "web/live.html",
            album=found,
            event=found.event,
            feed_url=url_for("web.album_live_feed", album=found.slug, token=token),
            album_url=url_for("web.album", album=found.slug, token=token),
            interval=interval,
            poll=current_app.config.get("LIVE_POLL_SECONDS", POLL_SECONDS["slideshow"]),
        )
    )
