"""THE rule of what a viewer may see: albums, photos, reports, events and media URLs.

The rule is written once, in ``_album_rule``, ``_photo_rule`` and ``_report_rule``, against a
tiny vocabulary of terms (:class:`_Terms`: "the album is public", "the photo is ready", "all of",
"any of", ...).  The vocabulary has two readings: :class:`_Check` answers with Python booleans for
one loaded album, photo or report, and :class:`_Sql` answers with SQLAlchemy clauses over the
models' columns.  So the Python checks (:func:`can_view_album`, :func:`can_view_photo`,
:func:`can_read_report`) and the SQL filters (:func:`album_filter`, :func:`photo_filter`,
:func:`report_filter`, ...) come from the same lines and cannot disagree.

In words:

* a **public** album is seen by everyone; an **unlisted** one by those who present its share token;
  a **private** one (and an unlisted one without its token) only by roles that see private albums
  (editors, admins).  A share token never opens a private album;
* only public albums are **listed** to visitors (home, event pages, reports, feed, sitemap): an
  unlisted album is reached by its link alone;
* a **photo** is seen when it is not deleted, is ``ready`` (staff, who upload, see unfinished ones
  too), is not **hidden** (``hidden_reason``: a takedown pending, an editor's decision, awaiting
  review; only roles that edit content see hidden photos -- not even their uploader), and its album
  is seen -- or they uploaded it themselves.  Visitor surfaces show only ready, non-deleted,
  unhidden photos, whoever looks (:func:`shown_photo_filter`);
* a **report** is read by everyone once published; drafts by those who edit content;
* an **event** is seen when it has an album listed to the viewer or a report they may read
  (roles that see private albums see every event);
* **public artefacts** -- embeds, oEmbed, the feed, the sitemap -- are built for anyone who
  gets hold of them: they ignore the logged-in user and count only the share token they carry,
  so they never show a private album, whoever asks (:meth:`Viewer.artefact`).

Media URLs (signatures, :class:`MediaRight`, derivative access) are derived from this rule in
:mod:`gallery.catalog.media_access`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import False_, True_

from gallery.core.errors import NotFoundError
from gallery.core.permissions import Permission, has_permission
from gallery.models import (
    Album,
    Event,
    Photo,
    PhotoStatus,
    Report,
    ReportStatus,
    User,
    Visibility,
)

#: Longer ``?token=`` values are not share tokens (those are 32 characters) and are ignored.
TOKEN_MAX = 200
_TOKEN_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{TOKEN_MAX}}}$")


# --- who is looking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who looks, with what, from where.

    ``user``: the logged-in or token-authenticated user, or None.  ``tokens``: the share tokens
    presented (``?token=``; unchecked -- the rule checks them against each album).
    ``public_artefact``: the surface is an embed, an oEmbed answer, the feed or the sitemap,
    which anyone may end up seeing: the user's rights do not count there."""

    user: User | None = None
    tokens: tuple[str, ...] = ()
    public_artefact: bool = False

    @classmethod
    def of(cls, user: User | None, token: str | None = None) -> Viewer:
        """A viewer of an ordinary page or API answer: ``user`` and the ``?token=`` they sent."""
        return cls(user=user, tokens=presented(token))

    @classmethod
    def artefact(cls, token: str | None = None) -> Viewer:
        """A viewer of a public artefact (embed, oEmbed, feed, sitemap): anonymous, with the
        share token the artefact carries, if any."""
        return cls(user=None, tokens=presented(token), public_artefact=True)

    @property
    def person(self) -> User | None:
        """The user whose rights count: None on public artefacts, and for users who are not
        active (deactivated accounts see what anonymous visitors see)."""
        if self.public_artefact or not _active_account(self.user):
            return None
        return self.user

    def may(self, permission: Permission) -> bool:
        return has_permission(self.person, permission)

    @property
    def sees_private(self) -> bool:
        """Private albums, and unlisted ones without their token (editors, admins)."""
        return self.may(Permission.view_private)

    @property
    def sees_unready(self) -> bool:
        """Photos still processing or failed (staff: those who upload)."""
        return self.may(Permission.upload)

    @property
    def sees_hidden(self) -> bool:
        """Hidden photos (takedowns pending or decided, awaiting review): those who edit content."""
        return self.may(Permission.edit_content)

    @property
    def reads_drafts(self) -> bool:
        """Draft reports (those who edit content)."""
        return self.may(Permission.edit_content)

    def without_tokens(self) -> Viewer:
        return replace(self, tokens=())

    def with_tokens(self, tokens: Iterable[str]) -> Viewer:
        return replace(self, tokens=self.tokens + tuple(tokens))


def _active_account(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def presented(token: str | None) -> tuple[str, ...]:
    """The share tokens in a ``?token=`` value: none when it cannot be one (empty, too long, or
    not URL-safe text, as :func:`gallery.catalog.events.new_share_token` makes them)."""
    return (token,) if token and _TOKEN_RE.match(token) else ()


ANONYMOUS = Viewer()


# --- the rule, once ---------------------------------------------------------------------------------

T = TypeVar("T")


class _Terms(Protocol[T]):
    """The words the rule is written in; :class:`_Check` and :class:`_Sql` give them meaning."""

    def const(self, value: bool) -> T: ...
    def all(self, *terms: T) -> T: ...
    def any(self, *terms: T) -> T: ...
    def album_is(self, visibility: Visibility) -> T: ...
    def album_token_in(self, tokens: tuple[str, ...]) -> T: ...
    def photo_live(self) -> T: ...
    def photo_ready(self) -> T: ...
    def photo_unhidden(self) -> T: ...
    def photo_uploaded_by(self, user_id: int) -> T: ...
    def photo_album(self, rule: T) -> T: ...
    def report_published(self) -> T: ...


def _album_rule(t: _Terms[T], viewer: Viewer) -> T:
    return t.any(
        t.album_is(Visibility.public),
        t.const(viewer.sees_private),
        t.all(t.album_is(Visibility.unlisted), t.album_token_in(viewer.tokens)),
    )


def _listed_album_rule(t: _Terms[T], viewer: Viewer) -> T:
    # Listings never come with a share token, so an unlisted album is never listed to visitors.
    return _album_rule(t, viewer.without_tokens())


def _photo_state_rule(t: _Terms[T], viewer: Viewer) -> T:
    return t.all(
        t.photo_live(),
        t.any(t.photo_ready(), t.const(viewer.sees_unready)),
        t.any(t.photo_unhidden(), t.const(viewer.sees_hidden)),
    )


def _photo_rule(t: _Terms[T], viewer: Viewer) -> T:
    person = viewer.person
    own = t.photo_uploaded_by(person.id) if person is not None else t.const(False)
    return t.all(_photo_state_rule(t, viewer), t.any(own, t.photo_album(_album_rule(t, viewer))))


def _report_rule(t: _Terms[T], viewer: Viewer) -> T:
    return t.any(t.report_published(), t.const(viewer.reads_drafts))


class _Check:
    """The rule read on loaded objects: Python booleans."""

    def __init__(self, album: Album | None = None, photo: Photo | None = None, report: Report | None = None) -> None:
        self.album = album if album is not None or photo is None else photo.album
        self.photo = photo
        self.report = report

    def const(self, value: bool) -> bool:
        return value

    def all(self, *terms: bool) -> bool:
        return all(terms)

    def any(self, *terms: bool) -> bool:
        return any(terms)

    def album_is(self, visibility: Visibility) -> bool:
        assert self.album is not None
        return self.album.visibility == visibility

    def album_token_in(self, tokens: tuple[str, ...]) -> bool:
        assert self.album is not None
        return any(_same_token(token, self.album.share_token) for token in tokens)

    def photo_live(self) -> bool:
        assert self.photo is not None
        return self.photo.deleted_at is None

    def photo_ready(self) -> bool:
        assert self.photo is not None
        return self.photo.status == PhotoStatus.ready

    def photo_unhidden(self) -> bool:
        assert self.photo is not None
        return self.photo.hidden_reason is None

    def photo_uploaded_by(self, user_id: int) -> bool:
        assert self.photo is not None
        return self.photo.uploaded_by_id == user_id

    def photo_album(self, rule: bool) -> bool:
        return rule  # ``album`` is the photo's album already

    def report_published(self) -> bool:
        assert self.report is not None
        return self.report.status == ReportStatus.published


class _Sql:
    """The rule read as SQL over ``Album``, ``Photo`` and ``Report`` columns."""

    def const(self, value: bool) -> ColumnElement[bool]:
        return true() if value else false()

    # Constants are folded away, so that "staff see everything" leaves no ``OR true`` and no
    # subquery behind in the SQL.
    def all(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        if any(isinstance(term, False_) for term in terms):
            return false()
        rest = [term for term in terms if not isinstance(term, True_)]
        return and_(*rest) if rest else true()

    def any(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        if any(isinstance(term, True_) for term in terms):
            return true()
        rest = [term for term in terms if not isinstance(term, False_)]
        return or_(*rest) if rest else false()

    def album_is(self, visibility: Visibility) -> ColumnElement[bool]:
        return Album.visibility == visibility

    def album_token_in(self, tokens: tuple[str, ...]) -> ColumnElement[bool]:
        return Album.share_token.in_(tokens) if tokens else false()

    def photo_live(self) -> ColumnElement[bool]:
        return Photo.deleted_at.is_(None)

    def photo_ready(self) -> ColumnElement[bool]:
        return Photo.status == PhotoStatus.ready

    def photo_unhidden(self) -> ColumnElement[bool]:
        return Photo.hidden_reason.is_(None)

    def photo_uploaded_by(self, user_id: int) -> ColumnElement[bool]:
        return Photo.uploaded_by_id == user_id

    def photo_album(self, rule: ColumnElement[bool]) -> ColumnElement[bool]:
        # A self-contained subquery, so the filter works whether or not the query joins albums.
        if isinstance(rule, (True_, False_)):
            return rule
        return Photo.album_id.in_(select(Album.id).where(rule).correlate(None))

    def report_published(self) -> ColumnElement[bool]:
        return Report.status == ReportStatus.published


_SQL = _Sql()


class _RowSql:
    """The photo part of the rule read as SQL text over one row's columns (``row.status``...), for
    database triggers (:mod:`gallery.photos.tallies`) that keep counts of what visitors are shown.
    Only the photo's own state has this reading; an album's or a report's rule has none."""

    def __init__(self, row: str) -> None:
        if not re.fullmatch(r"[a-z_]+", row):
            raise ValueError(f"not a row name: {row!r}")
        self.row = row

    def const(self, value: bool) -> str:
        return "1 = 1" if value else "1 = 0"

    def all(self, *terms: str) -> str:
        if "1 = 0" in terms:
            return "1 = 0"
        rest = [term for term in terms if term != "1 = 1"]
        return "(" + " AND ".join(rest) + ")" if rest else "1 = 1"

    def any(self, *terms: str) -> str:
        if "1 = 1" in terms:
            return "1 = 1"
        rest = [term for term in terms if term != "1 = 0"]
        return "(" + " OR ".join(rest) + ")" if rest else "1 = 0"

    def photo_live(self) -> str:
        return f"{self.row}.deleted_at IS NULL"

    def photo_ready(self) -> str:
        return f"{self.row}.status = '{PhotoStatus.ready.value}'"

    def photo_unhidden(self) -> str:
        return f"{self.row}.hidden_reason IS NULL"

    def _no_row_reading(self, *args: object) -> str:
        raise TypeError("only a photo's own state has a row reading")

    album_is = album_token_in = photo_uploaded_by = photo_album = _no_row_reading

    def report_published(self) -> str:
        return self._no_row_reading()


def _same_token(given: str, expected: str | None) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


# --- albums -------------------------------------------------------------------------------------------


def can_view_album(album: Album, viewer: Viewer) -> bool:
    """Whether ``viewer`` may open ``album`` (its page, photos, downloads, API answer, embed)."""
    return _album_rule(_Check(album=album), viewer)


def visible_album(session: Session, slug: str, viewer: Viewer) -> Album:
    """The album ``slug`` (with its event), if ``viewer`` may open it; else :class:`NotFoundError`:
    what a viewer may not see does not exist for them."""
    album: Album | None = session.scalar(select(Album).where(Album.slug == slug).options(joinedload(Album.event)))
    if album is None or not can_view_album(album, viewer):
        raise NotFoundError(f"no album {slug!r}")
    return album


def album_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL on ``Album``: the albums :func:`can_view_album` lets ``viewer`` open."""
    return _album_rule(_SQL, viewer)


def can_list_album(album: Album, viewer: Viewer) -> bool:
    """Whether ``album`` appears in listings ``viewer`` sees (never an unlisted one to visitors)."""
    return _listed_album_rule(_Check(album=album), viewer)


def listed_album_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL on ``Album``: the albums listed to ``viewer`` (home, event pages, reports, feed, sitemap, API lists)."""
    return _listed_album_rule(_SQL, viewer)


def shareable(album: Album) -> bool:
    """Whether ``album`` can be opened without a login -- by its address or its share link -- so
    that its pages carry sharing tags and it may be embedded (never a private album)."""
    return can_view_album(album, Viewer(tokens=presented(album.share_token)))


def is_public(album: Album) -> bool:
    """Whether everyone may see ``album``, without a token (search engines may index it, and
    its downloads and media may be cached by anyone)."""
    return can_view_album(album, ANONYMOUS)


# --- photos ---------------------------------------------------------------------------------------------


def can_view_photo(photo: Photo, viewer: Viewer) -> bool:
    """Whether ``viewer`` may see ``photo`` and its details (caption, file name, derivatives)."""
    return _photo_rule(_Check(photo=photo), viewer)


def photo_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL on ``Photo``: not deleted, ``ready`` unless the viewer is staff, and the album visible
    to the viewer (or the photo their own upload).  Needs no join with ``Album``."""
    return _photo_rule(_SQL, viewer)


def photo_state_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL on ``Photo``, for the photos of an album the viewer may open: not deleted, ``ready``
    unless the viewer is staff."""
    return _photo_state_rule(_SQL, viewer)


def live_photo_filter() -> ColumnElement[bool]:
    """SQL on ``Photo``: not deleted -- a photo in the bin is gone from every surface but the bin
    (staff pages and bags list the live ones, whatever their status)."""
    return _SQL.photo_live()


def is_shown(photo: Photo) -> bool:
    """Whether visitor surfaces show ``photo`` (pages, strips, covers, ZIP, embeds, feed,
    sitemap): not deleted, ready and not hidden, whoever looks."""
    return _photo_state_rule(_Check(photo=photo), ANONYMOUS)


def shown_photo_filter() -> ColumnElement[bool]:
    """SQL on ``Photo``: what :func:`is_shown` accepts."""
    return _photo_state_rule(_SQL, ANONYMOUS)


def shown_photo_row_sql(row: str) -> str:
    """SQL text: what :func:`is_shown` accepts, over the columns of the row ``row`` (a trigger's
    ``new`` or ``old``, or a transition table's alias)."""
    return _photo_state_rule(_RowSql(row), ANONYMOUS)


# --- reports and events -------------------------------------------------------------------------------


def can_read_report(report: Report, viewer: Viewer) -> bool:
    """Published reports for everyone; drafts for those who edit content."""
    return _report_rule(_Check(report=report), viewer)


def report_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL on ``Report``: what :func:`can_read_report` accepts."""
    return _report_rule(_SQL, viewer)


def event_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL on ``Event``: the events ``viewer`` may see -- those with an album listed to them or a
    report they may read (which is every event for roles that see private albums)."""
    if viewer.sees_private:
        return true()
    listed = select(Album.id).where(Album.event_id == Event.id, listed_album_filter(viewer))
    readable = select(Report.id).where(Report.event_id == Event.id, report_filter(viewer))
    return or_(listed.exists(), readable.exists())


# --- share tokens ---------------------------------------------------------------------------------------


def share_token_for(viewer: Viewer, album: Album) -> str | None:
    """The album's own share token, for those who may hand it out: roles that edit content.
    Anyone else gets None: the token opens the whole album (pages, ZIP, API, embeds, media)."""
    return album.share_token if viewer.may(Permission.edit_content) else None


def _needs_token(album: Album) -> bool:
    """Whether ``album`` is opened by its share token and not without it (an unlisted album)."""
    return shareable(album) and not is_public(album)


def presented_token(viewer: Viewer, album: Album) -> str | None:
    """The share token this viewer came with, when it is the one that opens ``album`` (unlisted
    albums only): links within the album, and its embeds, carry it on."""
    if not _needs_token(album):
        return None
    return next((token for token in viewer.tokens if can_view_album(album, Viewer(tokens=(token,)))), None)


def shareable_token(viewer: Viewer, album: Album) -> str | None:
    """The token that links to an unlisted ``album`` made for this viewer to pass on (embed code,
    oEmbed answers) carry: the one they came with, else the one they may hand out.  None for
    public and private albums (private ones are never shared by link)."""
    if not _needs_token(album):
        return None
    return presented_token(viewer, album) or share_token_for(viewer, album)
