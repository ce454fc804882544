"""The audit log as a story: entries of one request that did the same thing to many photos
("moved 12 photos from A to B") become one group, and the names the sentences need (album and
event titles, photo albums, user names) are looked up once per page.  The sentences themselves
are written in the visitor's language by ``gallery.http.audit_text``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.models import Album, AuditLog, Event, Photo, User

#: Actions whose entries of one request are told as one sentence, and what must also be equal.
GROUPED: dict[str, tuple[str, ...]] = {
    "photo.upload": ("album",),
    "photo.move": ("from", "to"),
    "photo.update": ("album_id",),
    "photo.delete": ("album_id",),
    "photo.restore": ("album_id",),
    "photo.purge": ("album",),
    "photo.hide": ("album_id", "reason"),
    "photo.unhide": ("album_id",),
    "photo.erase": ("album_id",),
    "token.revoke": ("user",),
}


@dataclass
class AuditGroup:
    """One or more entries told as one sentence; ``entries`` newest first."""

    entries: list[AuditLog]

    @property
    def first(self) -> AuditLog:
        return self.entries[0]

    @property
    def action(self) -> str:
        return self.first.action

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def at(self) -> datetime:
        return self.first.at

    @property
    def details(self) -> dict[str, Any]:
        return self.first.details or {}

    @property
    def object_ids(self) -> list[str]:
        return [e.object_id for e in self.entries if e.object_id]


def _key(entry: AuditLog) -> Hashable | None:
    wanted = GROUPED.get(entry.action)
    if wanted is None or not entry.request_id:
        return None
    details = entry.details or {}
    return (entry.request_id, entry.action, entry.user_id, *(str(details.get(name)) for name in wanted))


def group_entries(entries: Iterable[AuditLog]) -> list[AuditGroup]:
    """Consecutive entries (newest first) of one request, one action, one user and the same
    place (album, or source and target) become one group; everything else stays alone."""
    groups: list[AuditGroup] = []
    last_key: Hashable | None = None
    for entry in entries:
        key = _key(entry)
        if key is not None and key == last_key:
            groups[-1].entries.append(entry)
        else:
            groups.append(AuditGroup(entries=[entry]))
        last_key = key
    return groups


@dataclass
class References:
    """What the sentences name, looked up once for a page of groups."""

    albums_by_id: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (slug, title)
    album_titles: dict[str, str] = field(default_factory=dict)  # slug -> title
    events_by_id: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (slug, title)
    event_titles: dict[str, str] = field(default_factory=dict)  # slug -> title
    photo_albums: dict[int, str] = field(default_factory=dict)  # photo id -> album slug
    users: dict[int, str] = field(default_factory=dict)  # user id -> name (else e-mail)


def _int(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


def references(session: Session, groups: Iterable[AuditGroup]) -> References:
    album_ids: set[int] = set()
    album_slugs: set[str] = set()
    event_ids: set[int] = set()
    event_slugs: set[str] = set()
    photo_ids: set[int] = set()
    user_ids: set[int] = set()
    for group in groups:
        for entry in group.entries:
            details = entry.details or {}
            object_id = _int(entry.object_id)
            if object_id is not None:
                {"album": album_ids, "event": event_ids, "photo": photo_ids, "user": user_ids}.get(
                    entry.object_type, set()
                ).add(object_id)
            if (album_id := _int(details.get("album_id"))) is not None:
                album_ids.add(album_id)
            for name in ("album", "from", "to"):
                if isinstance(details.get(name), str):
                    album_slugs.add(details[name])
            if isinstance(details.get("event"), str):
                event_slugs.add(details["event"])
    # Always the same four queries, however many entries there are and whatever they name.
    refs = References()
    photo_album_ids = dict(session.execute(select(Photo.id, Photo.album_id).where(Photo.id.in_(photo_ids))).all())
    album_ids.update(photo_album_ids.values())
    query = select(Album.id, Album.slug, Album.title).where(Album.id.in_(album_ids) | Album.slug.in_(album_slugs))
    for album_id, slug, title in session.execute(query):
        refs.albums_by_id[album_id] = (slug, title)
        refs.album_titles[slug] = title
    refs.photo_albums = {
        photo_id: refs.albums_by_id[album_id][0]
        for photo_id, album_id in photo_album_ids.items()
        if album_id in refs.albums_by_id
    }
    query = select(Event.id, Event.slug, Event.title).where(Event.id.in_(event_ids) | Event.slug.in_(event_slugs))
    for event_id, slug, title in session.execute(query):
        refs.events_by_id[event_id] = (slug, title)
        refs.event_titles[slug] = title
    users = select(User.id, User.name, User.email).where(User.id.in_(user_ids))
    refs.users = {user_id: name or email for user_id, name, email in session.execute(users)}
    return refs
