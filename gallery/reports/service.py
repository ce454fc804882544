"""Event reports: read, list, write, change and delete.

Every function takes the session and the acting user (or audit actor) explicitly; writing needs
the editor permission; readers without it see published reports only
(:func:`gallery.catalog.visibility.report_filter`).  Slugs are unique per event.  Validation errors
name their field; the commit is the caller's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from gallery.catalog import events as catalog
from gallery.catalog.visibility import Viewer, report_filter
from gallery.core.audit import Actor, record
from gallery.core.changes import KEEP, apply_changes, kept
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.core.pages import DEFAULT_LIMIT, Page, SortKey, keyset_page
from gallery.core.permissions import Permission, require_permission
from gallery.models import Album, Event, Report, ReportStatus, max_length, report_albums, utcnow
from gallery.reports import links

REPORT_LANGUAGES = ("pl", "en")
REPORT_ORDER = (SortKey(Report.id),)  # in the order they were written


def get_report(session: Session, event: Event, slug: str) -> Report:
    report = session.scalar(select(Report).where(Report.event_id == event.id, Report.slug == slug))
    if report is None:
        raise NotFoundError(f"no report {slug!r} in event {event.slug!r}")
    return report


def visible_report(session: Session, event_slug: str, slug: str, *, viewer: Viewer) -> Report:
    """The report if ``viewer`` may read it (a draft is a 404 to those who may not edit it)."""
    event = catalog.visible_event(session, event_slug, viewer=viewer)
    report = session.scalar(
        select(Report).where(Report.event_id == event.id, Report.slug == slug, report_filter(viewer))
    )
    if report is None:
        raise NotFoundError(f"no report {slug!r} in event {event.slug!r}")
    return report


def event_reports(session: Session, event: Event) -> list[Report]:
    return list(
        session.scalars(
            select(Report)
            .where(Report.event_id == event.id)
            .options(selectinload(Report.albums))
            .order_by(Report.id.desc())
        )
    )


def list_reports(
    session: Session,
    event_slug: str,
    *,
    viewer: Viewer,
    status: ReportStatus | str | None = None,
    language: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Report]:
    """The reports of the event ``event_slug`` that ``viewer`` may read, optionally of one status
    and language; 404 when the viewer may not see the event."""
    event = catalog.visible_event(session, event_slug, viewer=viewer)
    query = (
        select(Report).where(Report.event_id == event.id, report_filter(viewer)).options(selectinload(Report.albums))
    )
    if status is not None:
        query = query.where(Report.status == ReportStatus(status))
    if language is not None:
        query = query.where(Report.language == language)
    return keyset_page(session, query, REPORT_ORDER, name=f"reports:{event.id}", cursor=cursor, limit=limit)


def report_album_ids(session: Session, report: Report) -> list[int]:
    return list(
        session.scalars(
            select(report_albums.c.album_id)
            .where(report_albums.c.report_id == report.id)
            .order_by(report_albums.c.position, report_albums.c.album_id)
        )
    )


def _report_values(title: object, language: object, body: object, status: object) -> dict[str, Any]:
    if language not in REPORT_LANGUAGES:
        raise ValidationError(f"language={language!r}: use {' or '.join(REPORT_LANGUAGES)}", field="language")
    try:
        state = ReportStatus(status)
    except ValueError:
        raise ValidationError(f"status={status!r}: use draft or published", field="status") from None
    return {
        "title": catalog.clean_text(title, "title", max_length=max_length(Report.title), required=True),
        "language": language,
        "body": catalog.clean_text(body, "body", max_length=max_length(Report.body)),
        "status": state,
    }


def _event_albums(session: Session, event: Event, album_ids: object, album_slugs: object) -> list[Album]:
    """The albums to link, in order: by id (management pages) or by slug (the API)."""
    by_slug = album_slugs is not None
    wanted = album_slugs if by_slug else album_ids
    kind = str if by_slug else int
    if not isinstance(wanted, (list, tuple)) or not all(
        isinstance(i, kind) and not isinstance(i, bool) for i in wanted
    ):
        raise ValidationError(f"albums must be a list of album {'slugs' if by_slug else 'ids'}", field="albums")
    if len(set(wanted)) != len(wanted):
        raise ValidationError("an album is listed twice", field="albums")
    if not wanted:
        return []
    column = Album.slug if by_slug else Album.id
    found = {getattr(a, column.key): a for a in session.scalars(select(Album).where(column.in_(wanted)))}
    if any(i not in found or found[i].event_id != event.id for i in wanted):
        raise ValidationError("a report can link only albums of its own event", field="albums")
    return [found[i] for i in wanted]


def _link_albums(session: Session, report: Report, linked: Sequence[Album]) -> None:
    session.flush()
    session.execute(delete(report_albums).where(report_albums.c.report_id == report.id))
    if linked:
        session.execute(
            insert(report_albums),
            [{"report_id": report.id, "album_id": a.id, "position": i} for i, a in enumerate(linked)],
        )
    session.expire(report, ["albums"])


def _publish(report: Report) -> None:
    if report.status == ReportStatus.published and report.published_at is None:
        report.published_at = utcnow()


def _taken(slug: str) -> ConflictError:
    return ConflictError(f"this event already has a report with the address {slug!r}", field="slug")


def create_report(
    session: Session,
    event: Event,
    *,
    title: object,
    slug: object = None,
    language: object = "en",
    body: object = "",
    status: object = "draft",
    album_ids: Sequence[int] = (),
    album_slugs: Sequence[str] | None = None,
    translation_of: object = None,
    actor: Actor,
) -> Report:
    """A new report of ``event``; without a slug one is made from the title (unique in the event).
    ``translation_of``: the report it translates (id or slug; :func:`gallery.reports.links.resolve_original`)."""
    require_permission(actor.user, Permission.edit_content, "only editors may write reports")
    values = _report_values(title, language, body, status)
    values["translation_of_id"] = links.resolve_original(session, event, translation_of, language=values["language"])
    linked = _event_albums(session, event, list(album_ids), album_slugs)
    taken = set(session.scalars(select(Report.slug).where(Report.event_id == event.id)))
    if slug:
        if not isinstance(slug, str):
            raise ValidationError("slug must be text", field="slug")
        slug_s = catalog.validate_slug(slug)
        if slug_s in taken:
            raise _taken(slug_s)
    else:
        slug_s = catalog.first_free_slug(catalog.make_slug(values["title"], field="title"), taken.__contains__)
    report = Report(event_id=event.id, slug=slug_s, author_id=actor.user_id, **values)
    _publish(report)
    try:
        with session.begin_nested():  # the same slug written at the same moment
            session.add(report)
    except IntegrityError:
        raise _taken(slug_s) from None
    _link_albums(session, report, linked)
    record(
        session,
        "report.create",
        actor=actor,
        obj=report,
        details={
            "event": event.slug,
            "slug": slug_s,
            "status": report.status.value,
            "albums": [a.slug for a in linked],
        },
    )
    return report


def update_report(
    session: Session,
    report: Report,
    *,
    title: object = KEEP,
    language: object = KEEP,
    body: object = KEEP,
    status: object = KEEP,
    album_ids: Sequence[int] | None = None,
    album_slugs: Sequence[str] | None = None,
    translation_of: object = KEEP,
    actor: Actor,
) -> list[str]:
    """Change a report (fields left at :data:`KEEP` and albums left at None stay as they are);
    ``published_at`` is set the first time it is published and kept after.  Returns the changed fields."""
    require_permission(actor.user, Permission.edit_content, "only editors may edit reports")
    values = _report_values(
        kept(title, report.title), kept(language, report.language), kept(body, report.body), kept(status, report.status)
    )
    values["translation_of_id"] = links.resolve_original(
        session,
        report.event,
        kept(translation_of, report.translation_of_id),
        language=values["language"],
        report=report,
    )
    changes = apply_changes(report, values)
    _publish(report)
    if album_ids is not None or album_slugs is not None:
        linked = _event_albums(session, report.event, list(album_ids or ()), album_slugs)
        if [a.id for a in linked] != report_album_ids(session, report):
            changes["albums"] = [None, [a.slug for a in linked]]
            _link_albums(session, report, linked)
    if changes:
        record(session, "report.update", actor=actor, obj=report, details={"slug": report.slug, "changes": changes})
    return sorted(changes)


def delete_report(session: Session, event_slug: str, slug: str, *, actor: Actor) -> None:
    """Delete a report (its album links go with it; the albums stay)."""
    require_permission(actor.user, Permission.edit_content, "only editors may delete reports")
    report = get_report(session, catalog.get_event(session, event_slug), slug)
    record(
        session,
        "report.delete",
        actor=actor,
        obj=report,
        details={"event": report.event.slug, "slug": report.slug, "status": report.status.value},
    )
    session.execute(delete(Report).where(Report.id == report.id))
