"""Links both ways between reports, albums and photos, and between a report and its translations.

* **Translations.** A report may record the report it translates (``Report.translation_of_id``,
  same event, other language).  A report and its translations form a *topic*; the original (the
  one that translates nothing) names it (:func:`topic_id`).  A topic holds at most one report per
  language, a translation's original is never itself a translation, and a report with
  translations cannot become one (:func:`resolve_original` refuses, naming the field).
  :func:`versions` gives the versions of a topic a viewer may read (a report page's ``hreflang``
  alternates and its language switch).
* **Reports that show an album.** A published report (its publication time has come) shows an
  album when it links it (``report_albums``) or holds its ``[album slug]`` shortcode
  (:func:`reports_showing`, for the album and photo pages).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, report_filter
from gallery.core.errors import ValidationError
from gallery.models import Album, Event, Report, ReportStatus, report_albums
from gallery.reports.render import render_report

FIELD = "translation_of"


def topic_id(report: Report) -> int:
    """The id of the report's topic: its original's (itself when it translates nothing)."""
    return report.translation_of_id or report.id


def _topic(session: Session, root: int) -> list[Report]:
    return list(
        session.scalars(
            select(Report).where(or_(Report.id == root, Report.translation_of_id == root)).order_by(Report.id)
        )
    )


def resolve_original(
    session: Session, event: Event, value: object, *, language: str, report: Report | None = None
) -> int | None:
    """The id to store in ``translation_of_id`` for ``report`` (None while it is being created) in
    ``language``, from what a form or the API sent: a report's id (forms), its slug in the same
    event (the API), or None/"" for "translates nothing".  :class:`ValidationError` on field
    ``translation_of`` when it cannot be."""
    if value is None or value == "" or value == 0:
        target = None
    elif isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError("translation_of must be the slug of a report of this event, or null", field=FIELD)
    else:
        column = Report.id if isinstance(value, int) else Report.slug
        target = session.scalar(select(Report).where(column == value, Report.event_id == event.id))
        if target is None:
            raise ValidationError(f"this event has no report {value!r} to translate", field=FIELD)
    if target is not None and report is not None and target.id == report.id:
        raise ValidationError("a report cannot translate itself", field=FIELD)
    if report is not None and report.id is not None:
        others = session.scalar(select(Report.id).where(Report.translation_of_id == report.id).limit(1))
        if target is not None and others is not None:
            raise ValidationError("this report has translations of its own: it cannot be a translation", field=FIELD)
    if target is None:
        root = report.id if report is not None and report.id is not None else None
    else:
        root = topic_id(target)
    if root is None:
        return None
    for member in _topic(session, root):
        if report is not None and member.id == report.id:
            continue
        if target is None and member.translation_of_id != (report.id if report is not None else None):
            continue  # an original: only its own translations count
        if member.language == language:
            raise ValidationError(
                f"the report {member.slug!r} is already the {language!r} version of this topic", field=FIELD
            )
    return None if target is None else root


def versions(session: Session, report: Report, viewer: Viewer) -> list[Report]:
    """The versions of the report's topic ``viewer`` may read (itself included), by language."""
    members = session.scalars(
        select(Report).where(
            or_(Report.id == topic_id(report), Report.translation_of_id == topic_id(report)), report_filter(viewer)
        )
    )
    return sorted(members, key=lambda r: (r.language, r.id))


def reports_showing(session: Session, album: Album, *, now: datetime | None = None) -> list[Report]:
    """The published reports of the album's event that show it (linked, or by shortcode), newest
    first."""
    now = now or datetime.now(UTC)
    published = (
        Report.event_id == album.event_id,
        Report.status == ReportStatus.published,
        Report.published_at.is_not(None),
        Report.published_at <= now,
    )
    linked = Report.id.in_(select(report_albums.c.report_id).where(report_albums.c.album_id == album.id))
    shortcode = f"[album {album.slug}]"
    candidates = session.execute(  # one query: whether a report is linked comes with it
        select(Report, linked.label("linked"))
        .where(*published, or_(linked, Report.body.contains(shortcode, autoescape=True)))
        .order_by(Report.published_at.desc(), Report.id.desc())
    ).all()
    # A shortcode counts only as a paragraph of its own (as the report page shows it).
    return [r for r, is_linked in candidates if is_linked or album.slug in render_report(r.body).album_slugs]
