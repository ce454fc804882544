"""The audit log as sentences, in the visitor's language, with links: "Anna Nowak moved 12 photos
from Day 1 to Day 2".  One builder per action kind, all here (:data:`SENTENCES`); an action
without one still reads as a sentence naming the action.  Everything that comes from the log
or the database is escaped; only the catalogue's own text is trusted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_babel import get_translations
from markupsafe import Markup

from gallery.core.audit_groups import AuditGroup, References
from gallery.http.accounts import role_label
from gallery.http.formatting import number
from gallery.models import Role

Builder = Callable[[AuditGroup, References, Markup], Markup]


def _(message: str, **values: Any) -> Markup:
    """The translated message with ``values`` escaped into it (links are Markup already)."""
    return Markup(get_translations().ugettext(message)) % values


def ngettext(singular: str, plural: str, num: int, **values: Any) -> Markup:
    text = get_translations().ungettext(singular, plural, num).replace("%(num)d", "%(num)s")
    return Markup(text) % {"num": number(num, decimals=0), **values}


def _link(url: str, text: str) -> Markup:
    return Markup('<a href="%s">%s</a>') % (url, text)


# --- what the sentences name -----------------------------------------------------------------------


def who(group: AuditGroup, refs: References) -> Markup:
    entry = group.first
    if entry.user_id is not None:
        name = refs.users.get(entry.user_id) or (entry.user.name or entry.user.email if entry.user else "")
        if name:
            return _link(url_for("manage.user_detail", user_id=entry.user_id), name)
        return _("A deleted user")
    via = (group.details or {}).get("via")
    if via == "beat":
        return _("The scheduler")
    if via == "web" or via == "api":
        return _("A visitor")
    return _("A script")


def album(refs: References, *, slug: object = None, album_id: object = None) -> Markup:
    if album_id is not None and str(album_id).isdigit() and int(str(album_id)) in refs.albums_by_id:
        slug = refs.albums_by_id[int(str(album_id))][0]
    if isinstance(slug, str) and slug in refs.album_titles:
        return _link(url_for("manage.album_photos", album=slug), refs.album_titles[slug])
    if isinstance(slug, str) and slug:
        return Markup("%s") % slug  # deleted since: its slug, without a link
    return _("an album")


def event(refs: References, *, slug: object = None, event_id: object = None) -> Markup:
    if event_id is not None and str(event_id).isdigit() and int(str(event_id)) in refs.events_by_id:
        slug = refs.events_by_id[int(str(event_id))][0]
    if isinstance(slug, str) and slug in refs.event_titles:
        return _link(url_for("manage.event_edit", event=slug), refs.event_titles[slug])
    if isinstance(slug, str) and slug:
        return Markup("%s") % slug
    return _("an event")


def photo(group: AuditGroup, refs: References) -> Markup:
    photo_id = group.first.object_id
    slug = refs.photo_albums.get(int(photo_id)) if photo_id.isdigit() else None
    label = _("photo %(id)s", id=photo_id)
    return _link(url_for("web.photo", album=slug, photo_id=int(photo_id)), str(label)) if slug else label


def user(group: AuditGroup, refs: References) -> Markup:
    user_id = group.first.object_id
    if user_id.isdigit() and int(user_id) in refs.users:
        return _link(url_for("manage.user_detail", user_id=int(user_id)), refs.users[int(user_id)])
    return Markup("%s") % (group.details.get("email") or group.details.get("user") or _("a user"))


# --- one builder per action ---------------------------------------------------------------------
# Each builder calls _() or ngettext() with its literal messages, so that the catalogue has them.


def _place(g: AuditGroup, r: References) -> dict[str, Markup]:
    """The album of a photo action."""
    d = g.details
    return {"album": album(r, slug=d.get("album"), album_id=d.get("album_id") or r.photo_albums.get(_first_photo(g)))}


def _first_photo(g: AuditGroup) -> int:
    return int(g.first.object_id) if g.first.object_id.isdigit() else 0


def _album_args(g: AuditGroup, r: References) -> dict[str, Markup]:
    d = g.details
    object_id = g.first.object_id if g.first.object_type == "album" else None
    return {"album": album(r, slug=d.get("slug"), album_id=object_id), "event": event(r, slug=d.get("event"))}


def _event_args(g: AuditGroup, r: References) -> dict[str, Markup]:
    object_id = g.first.object_id if g.first.object_type == "event" else None
    return {"event": event(r, slug=g.details.get("slug") or g.details.get("event"), event_id=object_id)}


def _titled(g: AuditGroup, r: References, name: str) -> dict[str, Markup]:
    """A report's or a session's title (or slug) and its event."""
    d = g.details
    return {name: Markup("%s") % (d.get("title") or d.get("slug") or ""), "event": event(r, slug=d.get("event"))}


def _user_args(g: AuditGroup, r: References) -> dict[str, Markup | str]:
    d = g.details
    role = d.get("to") or d.get("role")
    return {"user": user(g, r), "role": role_label(Role(role)) if role in Role.__members__ else str(role or "")}


def _request_args(g: AuditGroup) -> dict[str, str | Markup]:
    d = g.details
    value = str(d.get("decision") or d.get("action") or "")
    labels = {"restore": _("restore"), "blur": _("blur"), "hide": _("hide"), "erase": _("erase")}
    return {"request": g.first.object_id, "decision": labels.get(value, value)}


def _moved(g: AuditGroup, r: References, w: Markup) -> Markup:
    d = g.details
    return ngettext(
        "%(who)s moved %(num)d photo from %(source)s to %(target)s",
        "%(who)s moved %(num)d photos from %(source)s to %(target)s",
        g.count,
        who=w,
        source=album(r, slug=d.get("from")),
        target=album(r, slug=d.get("to")),
    )


def _reordered(g: AuditGroup, r: References, w: Markup) -> Markup:
    return ngettext(
        "%(who)s reordered %(album)s (%(num)d photo moved)",
        "%(who)s reordered %(album)s (%(num)d photos moved)",
        int(g.details.get("moved") or 0),
        who=w,
        album=_album_args(g, r)["album"],
    )


def _tokens(g: AuditGroup, r: References, w: Markup) -> Markup:
    d = g.details
    prefix = Markup("<code>%s…</code>") % (d.get("prefix") or "")
    if g.action == "token.create":
        return _("%(who)s created the API token %(token)s for %(user)s", who=w, token=prefix, user=d.get("user", ""))
    if g.count > 1:
        return ngettext("%(who)s revoked %(num)d API token", "%(who)s revoked %(num)d API tokens", g.count, who=w)
    return _("%(who)s revoked the API token %(token)s", who=w, token=prefix)


def _clock(g: AuditGroup, r: References, w: Markup) -> Markup:
    d = g.details
    return ngettext(
        "%(who)s corrected the clock of %(camera)s by %(seconds)s s in %(event)s (%(num)d photo)",
        "%(who)s corrected the clock of %(camera)s by %(seconds)s s in %(event)s (%(num)d photos)",
        int(d.get("photos") or 0),
        who=w,
        camera=d.get("camera", ""),
        seconds=number(int(d.get("offset_seconds") or 0), decimals=0),
        **_event_args(g, r),
    )


def _fixity(g: AuditGroup, r: References, w: Markup) -> Markup:
    d = g.details
    return ngettext(
        "%(who)s checked %(num)d original in the archive (problems found: %(problems)s)",
        "%(who)s checked %(num)d originals in the archive (problems found: %(problems)s)",
        int(d.get("originals_checked") or 0),
        who=w,
        problems=number(int(d.get("problems") or 0), decimals=0),
    )


SENTENCES: dict[str, Builder] = {
    "photo.upload": lambda g, r, w: ngettext(
        "%(who)s uploaded %(num)d photo to %(album)s",
        "%(who)s uploaded %(num)d photos to %(album)s",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.move": _moved,
    "photo.update": lambda g, r, w: ngettext(
        "%(who)s edited %(num)d photo in %(album)s",
        "%(who)s edited %(num)d photos in %(album)s",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.delete": lambda g, r, w: ngettext(
        "%(who)s put %(num)d photo of %(album)s in the bin",
        "%(who)s put %(num)d photos of %(album)s in the bin",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.restore": lambda g, r, w: ngettext(
        "%(who)s restored %(num)d photo of %(album)s from the bin",
        "%(who)s restored %(num)d photos of %(album)s from the bin",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.purge": lambda g, r, w: ngettext(
        "%(who)s deleted %(num)d photo of %(album)s for good",
        "%(who)s deleted %(num)d photos of %(album)s for good",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.hide": lambda g, r, w: ngettext(
        "%(who)s hid %(num)d photo in %(album)s",
        "%(who)s hid %(num)d photos in %(album)s",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.unhide": lambda g, r, w: ngettext(
        "%(who)s showed %(num)d hidden photo in %(album)s again",
        "%(who)s showed %(num)d hidden photos in %(album)s again",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.blur": lambda g, r, w: ngettext(
        "%(who)s blurred parts of %(num)d photo in %(album)s",
        "%(who)s blurred parts of %(num)d photos in %(album)s",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.unblur": lambda g, r, w: ngettext(
        "%(who)s removed the blur from %(num)d photo in %(album)s",
        "%(who)s removed the blur from %(num)d photos in %(album)s",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "photo.erase": lambda g, r, w: ngettext(
        "%(who)s erased %(num)d photo in %(album)s",
        "%(who)s erased %(num)d photos in %(album)s",
        g.count,
        who=w,
        **_place(g, r),
    ),
    "image.erase": lambda g, r, w: _("%(who)s erased an image everywhere it appeared", who=w),
    "album.create": lambda g, r, w: _("%(who)s created the album %(album)s in %(event)s", who=w, **_album_args(g, r)),
    "album.update": lambda g, r, w: _(
        "%(who)s changed the settings of the album %(album)s", who=w, **_album_args(g, r)
    ),
    "album.share_token": lambda g, r, w: _(
        "%(who)s made a new share link for the album %(album)s", who=w, **_album_args(g, r)
    ),
    "album.delete": lambda g, r, w: _("%(who)s deleted the album %(album)s from %(event)s", who=w, **_album_args(g, r)),
    "album.reorder": _reordered,
    "event.create": lambda g, r, w: _("%(who)s created the event %(event)s", who=w, **_event_args(g, r)),
    "event.update": lambda g, r, w: _("%(who)s changed the event %(event)s", who=w, **_event_args(g, r)),
    "event.delete": lambda g, r, w: _("%(who)s deleted the event %(event)s", who=w, **_event_args(g, r)),
    "schedule.import": lambda g, r, w: _("%(who)s imported the programme of %(event)s", who=w, **_event_args(g, r)),
    "report.create": lambda g, r, w: _(
        "%(who)s wrote the report %(report)s for %(event)s", who=w, **_titled(g, r, "report")
    ),
    "report.update": lambda g, r, w: _(
        "%(who)s changed the report %(report)s of %(event)s", who=w, **_titled(g, r, "report")
    ),
    "report.delete": lambda g, r, w: _(
        "%(who)s deleted the report %(report)s of %(event)s", who=w, **_titled(g, r, "report")
    ),
    "session.create": lambda g, r, w: _(
        "%(who)s added the session %(session)s to %(event)s", who=w, **_titled(g, r, "session")
    ),
    "session.update": lambda g, r, w: _(
        "%(who)s changed the session %(session)s of %(event)s", who=w, **_titled(g, r, "session")
    ),
    "session.delete": lambda g, r, w: _(
        "%(who)s deleted the session %(session)s of %(event)s", who=w, **_titled(g, r, "session")
    ),
    "camera.clock_correct": _clock,
    "takedown.request": lambda g, r, w: _(
        "%(who)s asked for photo removal (request %(request)s)", who=w, **_request_args(g)
    ),
    "takedown.decide": lambda g, r, w: _(
        "%(who)s decided the removal request %(request)s: %(decision)s", who=w, **_request_args(g)
    ),
    "takedown.email_forgotten": lambda g, r, w: _(
        "%(who)s forgot the e-mail address of removal request %(request)s", who=w, **_request_args(g)
    ),
    "tombstone.lift": lambda g, r, w: _("%(who)s allowed an erased image to be uploaded again", who=w),
    "user.create": lambda g, r, w: _("%(who)s added the user %(user)s", who=w, **_user_args(g, r)),
    "user.login": lambda g, r, w: _("%(who)s logged in", who=w),
    "user.password_change": lambda g, r, w: _("%(who)s set a new password for %(user)s", who=w, **_user_args(g, r)),
    "user.password_link": lambda g, r, w: _("%(who)s made a set-password link for %(user)s", who=w, **_user_args(g, r)),
    "user.role_change": lambda g, r, w: _("%(who)s gave %(user)s the role: %(role)s", who=w, **_user_args(g, r)),
    "user.activate": lambda g, r, w: _("%(who)s activated %(user)s", who=w, **_user_args(g, r)),
    "user.deactivate": lambda g, r, w: _("%(who)s deactivated %(user)s", who=w, **_user_args(g, r)),
    "user.profile_change": lambda g, r, w: _("%(who)s changed the profile of %(user)s", who=w, **_user_args(g, r)),
    "token.create": _tokens,
    "token.revoke": _tokens,
    "fixity.audit": _fixity,
}


def sentence(group: AuditGroup, refs: References) -> Markup:
    """The group as one sentence (escaped HTML with links)."""
    w = who(group, refs)
    build = SENTENCES.get(group.action)
    if build is None:
        return _("%(who)s: %(action)s", who=w, action=Markup("<code>%s</code>") % group.action)
    return build(group, refs, w)
