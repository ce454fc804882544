"""The audit log: every change made by a person or a script is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditLog, User


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
