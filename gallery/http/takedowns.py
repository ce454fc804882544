"""What the takedown views (the public form, the JSON API, the management queue) share: the one
rate limit of new requests (per client, form and API together), and the notices sent after a
request is filed or decided."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, render_template
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from sqlalchemy.orm import Session

from gallery.consent import notices
from gallery.consent.blur import blur_photo
from gallery.consent.models import TakedownRequest
from gallery.consent.requests import Blur, Filed
from gallery.core.audit import Actor
from gallery.extensions import limiter
from gallery.http import context
from gallery.http.media_urls import cdn_purge
from gallery.http.urls import external_url
from gallery.models import Photo

#: New takedown requests one client may send in an hour, through the form and the API together.
REQUESTS_PER_HOUR = 20
_LIMIT = f"{REQUESTS_PER_HOUR} per hour"
_SCOPE = "takedown-requests"


def _polite_page(limit: RequestLimit) -> Response:
    body = render_template(
        "web/takedown_done.html",
        title=_("Please wait a little"),
        message=_(
            "We have received many requests from your address in the last hour, so we cannot take another one "
            "right now. Please try again in an hour. The requests you already sent are with our editors."
        ),
    )
    return Response(body, status=429, mimetype="text/html")


#: The limit on the JSON API route (a 429 in the contract's error shape).
takedown_limit: Callable[[Any], Any] = limiter.shared_limit(_LIMIT, scope=_SCOPE, methods=["POST"])
#: The same counter on the form, answered with a polite page.
takedown_form_limit: Callable[[Any], Any] = limiter.shared_limit(
    _LIMIT, scope=_SCOPE, methods=["POST"], on_breach=_polite_page
)


def after_request_filed(filed: Filed) -> None:
    """Tell the editors and admins (when ``GALLERY_SMTP_URL`` is set)."""
    settings = context.settings().consent
    if not settings.smtp_url:
        return
    request = filed.request
    photo = request.photo
    photo_url = (
        external_url("web.photo", album=photo.album.slug, photo_id=photo.id) if photo is not None else request.sha256
    )
    messages = notices.new_request_messages(
        request,
        notices.staff_addresses(context.db_session()),
        queue_url=external_url("manage.takedowns"),
        photo_url=photo_url,
        hidden=filed.hidden,
        capped=filed.capped,
    )
    notices.send(settings, messages)


def after_decision(request: TakedownRequest) -> None:
    """Tell the requester, if they left an address (when ``GALLERY_SMTP_URL`` is set)."""
    settings = context.settings().consent
    if not settings.smtp_url:
        return
    message = notices.decision_message(request, privacy_url=external_url("web.privacy"))
    if message is not None:
        notices.send(settings, [message])


def blur_function() -> Blur | None:
    """How a "blur" decision blurs (:func:`gallery.consent.blur.blur_photo`, with this app's store,
    web sizes, decoding limit and CDN purge)."""
    settings, storage, purge = context.settings(), context.storage(), cdn_purge()

    def blur(session: Session, photo: Photo, boxes: list[dict[str, float]], actor: Actor) -> object:
        return blur_photo(
            session,
            photo,
            boxes,
            actor=actor,
            storage=storage,
            sizes=settings.derivative_sizes,
            max_pixels=settings.max_pixels,
            purge=purge,
        )

    return blur
