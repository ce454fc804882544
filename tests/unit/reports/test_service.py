"""Reports (gallery/reports/service.py) without HTTP, on SQLite and PostgreSQL: slugs unique per
event, drafts for editors only, partial updates, albums linked by id or by slug."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import Album, Event, Report, ReportStatus, Role, User
from gallery.reports import service
from tests.conftest import make_user
from tests.web.helpers import make_album, make_event


@pytest.fixture
def editor(app: Flask) -> Actor:
    user: User = make_user(Role.editor)
    return Actor(user=user, via="cli")


@pytest.fixture
def event(app: Flask) -> Event:
    event = make_event(db.session, "ecc")
    make_album(db.session, event, "day-1")
    make_album(db.session, event, "day-2")
    make_album(db.session, make_event(db.session, "other"), "elsewhere")
    return event


def test_create_with_albums_by_slug_or_id(event: Event, editor: Actor) -> None:
    by_slug = service.create_report(db.session, event, title="A", album_slugs=["day-2", "day-1"], actor=editor)
    day_1 = db.session.scalar(sa.select(Album.id).where(Album.slug == "day-1"))
    by_id = service.create_report(db.session, event, title="A", album_ids=[day_1], actor=editor)
    db.session.commit()
    assert (by_slug.slug, by_id.slug) == ("a", "a-2")
    assert [a.slug for a in by_slug.albums] == ["day-2", "day-1"] and [a.slug for a in by_id.albums] == ["day-1"]
    with pytest.raises(ValidationError) as refused:
        service.create_report(db.session, event, title="B", album_slugs=["elsewhere"], actor=editor)
    assert refused.value.field == "albums"


def test_slugs_are_unique_per_event(event: Event, editor: Actor) -> None:
    service.create_report(db.session, event, title="News", slug="news", actor=editor)
    with pytest.raises(ConflictError) as taken:
        service.create_report(db.session, event, title="News", slug="news", actor=editor)
    assert taken.value.field == "slug"
    other = db.session.scalar(sa.select(Event).where(Event.slug == "other"))
    assert other is not None and service.create_report(db.session, other, title="News", slug="news", actor=editor)


def test_writing_needs_the_editor_permission(event: Event) -> None:
    with pytest.raises(PermissionDenied):
        service.create_report(db.session, event, title="A", actor=SYSTEM)


def test_partial_update_and_first_publication(event: Event, editor: Actor) -> None:
    report = service.create_report(db.session, event, title="A", body="Text.", album_slugs=["day-1"], actor=editor)
    assert service.update_report(db.session, report, status="published", actor=editor) == ["status"]
    first = report.published_at
    assert first is not None and report.body == "Text." and [a.slug for a in report.albums] == ["day-1"]
    assert service.update_report(db.session, report, title="B", album_slugs=[], actor=editor) == ["albums", "title"]
    assert report.published_at == first and report.albums == []


def test_readers_without_the_editor_permission_read_published_reports_only(event: Event, editor: Actor) -> None:
    service.create_report(db.session, event, title="Draft", actor=editor)
    service.create_report(db.session, event, title="Out", status="published", actor=editor)
    db.session.commit()
    photographer = Viewer.of(make_user(Role.photographer))
    for viewer in (ANONYMOUS, photographer):
        assert [r.slug for r in service.list_reports(db.session, "ecc", viewer=viewer).items] == ["out"]
        with pytest.raises(NotFoundError):
            service.visible_report(db.session, "ecc", "draft", viewer=viewer)
    every = service.list_reports(db.session, "ecc", viewer=Viewer.of(editor.user), status=ReportStatus.draft)
    assert [r.slug for r in every.items] == ["draft"]


def test_delete(event: Event, editor: Actor) -> None:
    service.create_report(db.session, event, title="Gone", album_slugs=["day-1"], actor=editor)
    service.delete_report(db.session, "ecc", "gone", actor=editor)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Album)) == 3
