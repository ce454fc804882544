"""The audit log: every change made by a person or a script is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gallery.models import AuditLog, User


@dataclass(frozen=True)
class Actor:
    """Who is acting, and through which door (web, api, cli)."""

    user: User | None
    via: str = "cli"
    ip: str | None = None
    request_id: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None


SYSTEM = Actor(user=None, via="cli")


def record(
    session: Session,
    action: str,
    *,
    actor: Actor,
    obj: object | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry to the session; it is committed with the change it describes."""
    object_type = ""
    object_id = ""
    if obj is not None:
        object_type = type(obj).__name__.lower()
        object_id = str(getattr(obj, "id", "") or "")
    entry = AuditLog(
        action=action,
        user_id=actor.user_id,
        object_type=object_type,
        object_id=object_id,
        details={"via": actor.via, **(details or {})},
        ip=actor.ip,
        request_id=actor.request_id,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditLog]
    next_before: int | None  # ?before=… for the next (older) page


def list_entries(
    session: Session,
    *,
    action: str | None = None,
    user_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """Newest first, ``limit`` entries older than the entry ``before`` (keyset), filtered by
    action, user, object (type, and id) and time (``since`` <= at < ``until``, UTC); the users
    come in one extra query, not one per row."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    query = select(AuditLog).options(selectinload(AuditLog.user)).order_by(AuditLog.id.desc())
    if action:
        query = query.where(AuditLog.action == action)
    if user_id is not None:
        query = query.where(AuditLog.user_id == user_id)
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    if object_id:
        query = query.where(AuditLog.object_id == object_id)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    if before is not None:
        query = query.where(AuditLog.id < before)
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(entries=rows, next_before=rows[-1].id if more and rows else None)


def known_actions(session: Session) -> list[str]:
    from sqlalchemy import select

    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def known_object_types(session: Session) -> list[str]:
    from sqlalchemy import select

    query = select(AuditLog.object_type).where(AuditLog.object_type != "").distinct().order_by(AuditLog.object_type)
    return list(session.scalars(query))
