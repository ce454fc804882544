"""Takedown requests: a visitor asks about a photo they can see; the photo is hidden at once
pending review (unless automatic hiding is off, the request is ``other``, or the site-wide cap of
automatic hides per hour is reached -- then it only queues and the editors are told); an editor
decides: restore, blur, hide or erase.  Every step is in the request's history and the audit log."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gallery.catalog.visibility import Viewer, can_view_photo
from gallery.config.consent import ConsentSettings
from gallery.consent.erase import erase_image
from gallery.consent.hiding import hide_photos, unhide_photos
from gallery.consent.models import Decision, TakedownAction, TakedownRequest, TakedownStatus
from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.models import HiddenReason, Photo, max_length, utcnow
from gallery.photos.versions import NO_PURGE, CdnPurge
from gallery.storage import Storage

REASON_MAX = max_length(TakedownRequest.reason)
EMAIL_MAX = max_length(TakedownRequest.email)
BOXES_MAX = 20
_EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
#: Actions that hide the photo at once (``other``, such as a wrong caption, never does).
HIDING_ACTIONS = frozenset({TakedownAction.hide, TakedownAction.blur, TakedownAction.erase})

Blur = Callable[[Session, Photo, list[dict[str, float]], Actor], object]
"""Blurs the boxes of a photo and re-renders its web sizes (:func:`gallery.consent.blur.blur_photo`)."""


@dataclass(frozen=True)
class Filed:
    """A new request, and what happened to its photo."""

    request: TakedownRequest
    hidden: bool  # the photo was hidden at once
    capped: bool  # it would have been, but the hourly cap of automatic hides was reached


def parse_boxes(raw: Any, *, field: str = "boxes") -> list[dict[str, float]]:
    """Boxes ``[{x, y, w, h}]`` in fractions (0..1) of the photo as displayed; each inside the
    photo, not empty; at most :data:`BOXES_MAX`.  :class:`ValidationError` otherwise."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError("boxes must be a list of {x, y, w, h}", field=field)
    if len(raw) > BOXES_MAX:
        raise ValidationError(f"at most {BOXES_MAX} boxes", field=field)
    boxes: list[dict[str, float]] = []
    for box in raw:
        if not isinstance(box, dict) or set(box) != {"x", "y", "w", "h"}:
            raise ValidationError("each box is {x, y, w, h}, fractions of the photo", field=field)
        values = {}
        for key in ("x", "y", "w", "h"):
            value = box[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValidationError(f"box {key} must be a number between 0 and 1", field=field)
            values[key] = float(value)
        if not (0 <= values["x"] < 1 and 0 <= values["y"] < 1 and values["w"] > 0 and values["h"] > 0):
            raise ValidationError("a box starts inside the photo and is not empty", field=field)
        if values["x"] + values["w"] > 1 + 1e-9 or values["y"] + values["h"] > 1 + 1e-9:
            raise ValidationError("a box must lie inside the photo", field=field)
        boxes.append({k: round(v, 6) for k, v in values.items()})
    return boxes


def _clean_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > EMAIL_MAX or not _EMAIL_RE.match(email):
        raise ValidationError("not an e-mail address", field="email")
    return email


def _step(request: TakedownRequest, step: str, actor: Actor, **details: Any) -> None:
    who = actor.user.email if actor.user is not None else "visitor"
    entry = {"at": utcnow().isoformat(), "step": step, "by": who, **details}
    request.history = [*request.history, entry]


def autohides_in_last_hour(session: Session, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count(TakedownRequest.id)).where(
                TakedownRequest.autohidden.is_(True), TakedownRequest.created_at >= now - timedelta(hours=1)
            )
        )
        or 0
    )


def file_request(
    session: Session,
    photo_id: int,
    *,
    viewer: Viewer,
    action: str,
    reason: str | None,
    email: str | None,
    boxes: Any,
    settings: ConsentSettings,
    actor: Actor,
    storage: Storage,
    purge: CdnPurge = NO_PURGE,
) -> Filed:
    """A request about the photo ``photo_id`` from someone who can see it (404 otherwise).  Commits."""
    photo = session.get(Photo, photo_id) if 0 < photo_id < 2**31 else None
    if photo is None or not can_view_photo(photo, viewer):
        raise NotFoundError(f"no photo {photo_id}")
    try:
        wanted = TakedownAction(action)
    except ValueError:
        raise ValidationError("action must be hide, blur, erase or other", field="action") from None
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(f"the reason is longer than {REASON_MAX} characters", field="reason")
    request = TakedownRequest(
        photo_id=photo.id,
        sha256=photo.sha256,
        action=wanted,
        status=TakedownStatus.open,
        boxes=parse_boxes(boxes) if wanted == TakedownAction.blur else [],
        reason=reason,
        email=_clean_email(email),
        autohidden=False,
        history=[],
    )
    session.add(request)
    _step(request, "filed", actor, action=wanted.value, boxes=len(request.boxes))
    hidden = capped = False
    if wanted in HIDING_ACTIONS and settings.takedown_autohide and photo.hidden_reason is None:
        now = utcnow()
        if autohides_in_last_hour(session, now) < settings.takedown_autohide_per_hour:
            hide_photos(session, [photo], reason=HiddenReason.takedown, actor=actor, storage=storage, purge=purge)
            request.autohidden = hidden = True
            _step(request, "hidden", actor)
        else:
            capped = True
            _step(request, "queued", actor, why="hourly cap of automatic hides reached")
    session.flush()
    record(
        session,
        "takedown.request",
        actor=actor,
        obj=request,
        details={"photo_id": photo.id, "action": wanted.value, "hidden": hidden, "capped": capped},
    )
    session.commit()
    return Filed(request=request, hidden=hidden, capped=capped)


def list_requests(session: Session, *, status: str | None = None, limit: int = 200) -> list[TakedownRequest]:
    """Requests, oldest open first (or those with ``status``), with their photos."""
    query = select(TakedownRequest).options(
        selectinload(TakedownRequest.photo).selectinload(Photo.album),
        selectinload(TakedownRequest.photo).selectinload(Photo.derivatives),
    )
    if status is not None:
        try:
            query = query.where(TakedownRequest.status == TakedownStatus(status))
        except ValueError:
            raise ValidationError("status must be open or decided", field="status") from None
    order = TakedownRequest.created_at.asc() if status == "open" else TakedownRequest.created_at.desc()
    return list(session.scalars(query.order_by(order, TakedownRequest.id).limit(limit)))


def get_request(session: Session, request_id: int) -> TakedownRequest:
    found = session.get(TakedownRequest, request_id) if 0 < request_id < 2**31 else None
    if found is None:
        raise NotFoundError(f"no takedown request {request_id}")
    return found


def decide(
    session: Session,
    request_id: int,
    *,
    action: str,
    boxes: Any = None,
    actor: Actor,
    storage: Storage,
    blur: Blur | None = None,
    purge: CdnPurge = NO_PURGE,
) -> TakedownRequest:
    """An editor's decision on an open request (409 when it was decided already).  Commits.

    ``restore``: the photo is shown again; ``blur``: the given boxes (or the requested ones) are
    blurred by ``blur`` and the photo is shown again, blurred; ``hide``: the photo stays hidden for
    good (the original stays in the archive); ``erase``: :func:`gallery.consent.erase.erase_image`,
    and every other open request about the same image is decided with it."""
    request = get_request(session, request_id)
    if request.status != TakedownStatus.open:
        raise ConflictError(f"takedown request {request_id} was decided already", code="already_decided")
    try:
        decision = Decision(action)
    except ValueError:
        raise ValidationError("action must be restore, blur, hide or erase", field="action") from None
    photo = request.photo
    chosen = parse_boxes(boxes) if boxes is not None else request.boxes
    if photo is None and decision != Decision.erase and decision != Decision.restore:
        raise ConflictError("the photo of this request is gone; only restore (close) or erase apply", code="gone")
    if decision == Decision.blur:
        if not chosen:
            raise ValidationError("a blur decision needs at least one box", field="boxes")
        if blur is None:
            raise ConflictError("blurring is not available on this server", code="blur_unavailable")
    _close(request, decision, actor, boxes=chosen if decision == Decision.blur else None)
    if decision == Decision.erase:
        others = list(
            session.scalars(
                select(TakedownRequest).where(
                    TakedownRequest.sha256 == request.sha256,
                    TakedownRequest.status == TakedownStatus.open,
                    TakedownRequest.id != request.id,
                )
            )
        )
        for other in others:
            _close(other, decision, actor, with_request=request.id)
        record(session, "takedown.decide", actor=actor, obj=request, details={"decision": decision.value})
        session.flush()
        erase_image(session, storage, request.sha256, actor=actor)  # commits
        return request
    assert photo is not None or decision == Decision.restore
    if photo is not None:
        if decision == Decision.restore:
            unhide_photos(session, [photo], actor=actor, storage=storage, purge=purge)
        elif decision == Decision.hide:
            hide_photos(session, [photo], reason=HiddenReason.editor, actor=actor, storage=storage, purge=purge)
        elif decision == Decision.blur:
            assert blur is not None
            blur(session, photo, chosen, actor)
            unhide_photos(session, [photo], actor=actor, storage=storage, purge=purge)
    record(session, "takedown.decide", actor=actor, obj=request, details={"decision": decision.value})
    session.commit()
    return request


def _close(
    request: TakedownRequest,
    decision: Decision,
    actor: Actor,
    *,
    boxes: Sequence[dict[str, float]] | None = None,
    with_request: int | None = None,
) -> None:
    request.status = TakedownStatus.decided
    request.decision = decision
    request.decided_at = utcnow()
    request.decided_by_id = actor.user_id
    details: dict[str, Any] = {"decision": decision.value}
    if boxes is not None:
        details["boxes"] = list(boxes)
    if with_request is not None:
        details["with_request"] = with_request
    _step(request, "decided", actor, **details)


#: How long the requester's e-mail is kept after the decision.
EMAIL_RETENTION = timedelta(days=30)


def purge_requester_emails(
    session: Session, *, now: datetime | None = None, actor: Actor, dry_run: bool = False
) -> int:
    """Forget the requester's e-mail of requests decided more than :data:`EMAIL_RETENTION` ago
    (``gallery gc``); returns how many (``dry_run``: would be, nothing changes).  Commits."""
    cutoff = (now or utcnow()) - EMAIL_RETENTION
    due = list(
        session.scalars(
            select(TakedownRequest).where(
                TakedownRequest.email.is_not(None),
                TakedownRequest.decided_at.is_not(None),
                TakedownRequest.decided_at < cutoff,
            )
        )
    )
    if dry_run:
        session.rollback()
        return len(due)
    for request in due:
        request.email = None
        _step(request, "email_forgotten", actor)
        record(session, "takedown.email_forgotten", actor=actor, obj=request)
    session.commit()
    return len(due)
