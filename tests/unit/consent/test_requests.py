"""Takedown requests in the domain (gallery/consent/requests.py): boxes, the hourly cap of
automatic hides, decisions, and the requester's e-mail retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from gallery.catalog.visibility import Viewer
from gallery.config.consent import ConsentSettings
from gallery.consent import requests as r
from gallery.consent.models import Decision, TakedownStatus
from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.extensions import db
from gallery.models import HiddenReason, Photo, Role, utcnow
from gallery.storage import MemoryStorage
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event

VISITOR = Actor(user=None, via="web", ip="192.0.2.1")


@pytest.mark.parametrize(
    "raw",
    [
        "x",
        [{"x": 0.1, "y": 0.1, "w": 0.1}],
        [{"x": 0.1, "y": 0.1, "w": 0.1, "h": True}],
        [{"x": 0.1, "y": 0.1, "w": 0.1, "h": float("nan")}],
        [{"x": -0.1, "y": 0.1, "w": 0.1, "h": 0.1}],
        [{"x": 0.5, "y": 0.5, "w": 0.6, "h": 0.1}],
        [{"x": 0.1, "y": 0.1, "w": 0, "h": 0.1}],
        [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * (r.BOXES_MAX + 1),
    ],
)
def test_bad_boxes_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError):
        r.parse_boxes(raw)


def test_good_boxes_are_kept_in_fractions() -> None:
    assert r.parse_boxes(None) == []
    assert r.parse_boxes([{"x": 0, "y": 0.5, "w": 1, "h": 0.5}]) == [{"x": 0.0, "y": 0.5, "w": 1.0, "h": 0.5}]


def file(photo: Photo, action: str, settings: ConsentSettings | None = None, **extra: object) -> r.Filed:
    values: dict[str, object] = {"reason": "", "email": None, "boxes": None, "storage": MemoryStorage(), **extra}
    return r.file_request(
        db.session, photo.id, viewer=Viewer.of(None), action=action, settings=settings or ConsentSettings(),
        actor=VISITOR, **values,  # type: ignore[arg-type]
    )  # fmt: skip


def _photos(count: int) -> list[Photo]:
    album = make_album(db.session, make_event(db.session, "req-ev"), "req-album")
    return [p for p in (db.session.get(Photo, i) for i in add_photos(db.session, album, count)) if p is not None]


def test_the_hourly_cap_queues_without_hiding(app: Flask) -> None:
    photos = _photos(3)
    settings = ConsentSettings(takedown_autohide_per_hour=2)
    filed = [file(p, "hide", settings) for p in photos]
    assert [(f.hidden, f.capped) for f in filed] == [(True, False), (True, False), (False, True)]
    assert [p.hidden_reason for p in photos] == [HiddenReason.takedown, HiddenReason.takedown, None]
    # An hour later the cap is free again.
    for f in filed[:2]:
        f.request.created_at = utcnow() - timedelta(hours=1, seconds=1)
    db.session.commit()
    assert r.autohides_in_last_hour(db.session, utcnow()) == 0


def test_decisions(app: Flask) -> None:
    editor = Actor(user=make_user(Role.editor), via="api")
    storage = app.extensions["gallery_storage"]
    first, second = _photos(2)
    settings = ConsentSettings()
    a = file(first, "blur", settings, boxes=[{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}]).request
    with pytest.raises(ConflictError) as unavailable:  # no blur function given
        r.decide(db.session, a.id, action="blur", actor=editor, storage=storage)
    assert unavailable.value.code == "blur_unavailable"
    blurred: list[tuple[int, list[dict[str, float]]]] = []
    edited = [{"x": 0.0, "y": 0.0, "w": 0.5, "h": 0.5}]
    r.decide(db.session, a.id, action="blur", boxes=edited, actor=editor, storage=storage,
             blur=lambda s, photo, boxes, actor: blurred.append((photo.id, boxes)))  # fmt: skip
    assert blurred == [(first.id, edited)] and first.hidden_reason is None
    assert a.status == TakedownStatus.decided and a.decision == Decision.blur and a.decided_by_id == editor.user_id
    with pytest.raises(ConflictError):
        r.decide(db.session, a.id, action="restore", actor=editor, storage=storage)
    with pytest.raises(NotFoundError):
        r.decide(db.session, 0, action="restore", actor=editor, storage=storage)
    with pytest.raises(ValidationError):
        r.list_requests(db.session, status="closed")
    b = file(second, "hide", settings).request
    with pytest.raises(ValidationError):
        r.decide(db.session, b.id, action="blur", boxes=[], actor=editor, storage=storage, blur=lambda *a: None)
    r.decide(db.session, b.id, action="hide", actor=editor, storage=storage)
    assert second.hidden_reason == HiddenReason.editor
    assert [step["step"] for step in b.history] == ["filed", "hidden", "decided"]
    assert [x.id for x in r.list_requests(db.session, status="decided")] == [b.id, a.id]


def test_e_mail_retention(app: Flask) -> None:
    (photo,) = _photos(1)
    filed = file(photo, "other", reason=" why ", email=" me@example.org ").request
    assert filed.email == "me@example.org" and filed.reason == "why" and not filed.autohidden
    assert r.purge_requester_emails(db.session, actor=SYSTEM) == 0  # still open
    filed.decided_at = utcnow() - r.EMAIL_RETENTION - timedelta(minutes=1)
    db.session.commit()
    assert r.purge_requester_emails(db.session, actor=SYSTEM, dry_run=True) == 1
    assert filed.email == "me@example.org"
    assert r.purge_requester_emails(db.session, actor=SYSTEM) == 1
    assert filed.email is None
