"""One-time set-password links: an admin adds a user or resets a password, and the user chooses
the password at ``/account/set-password/<secret>``.

The secret is 256 random bits; only its SHA-256 is stored.  A link works once and for
:data:`LIFETIME` (72 hours); issuing a new one ends the user's earlier ones, and so do a password
change and a deactivation.  The link is shown once, to whoever issued it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gallery.accounts.models import PasswordLink
from gallery.accounts.users import set_password
from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError
from gallery.models import User, utcnow

LIFETIME = timedelta(hours=72)
PURPOSES = ("invite", "reset")
_MAX_SECRET = 100


@dataclass(frozen=True)
class IssuedLink:
    link: PasswordLink
    secret: str  # goes into the URL; shown once, never stored

    @property
    def path(self) -> str:
        return f"/account/set-password/{self.secret}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def end_links(session: Session, user: User, *, now: datetime | None = None) -> int:
    """End every unused link of ``user`` (the caller commits); how many there were."""
    result = session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def issue(session: Session, *, user: User, purpose: str, actor: Actor) -> IssuedLink:
    """A new link for ``user`` (ending the earlier ones); a deactivated user gets none."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    if not user.active:
        raise ConflictError(f"{user.email} is deactivated; activate the account first", code="user_inactive")
    now = utcnow()
    end_links(session, user, now=now)
    secret = secrets.token_urlsafe(32)
    link = PasswordLink(
        user_id=user.id,
        token_hash=_digest(secret),
        purpose=purpose,
        created_at=now,
        expires_at=now + LIFETIME,
        created_by_id=actor.user_id,
    )
    session.add(link)
    session.flush()
    record(
        session,
        "user.password_link",
        actor=actor,
        obj=user,
        details={"purpose": purpose, "expires_at": link.expires_at.isoformat()},
    )
    return IssuedLink(link=link, secret=secret)


def find(session: Session, secret: str) -> PasswordLink:
    """The live link with this secret: unused, unexpired, its user active; else NotFoundError
    (the same answer for a wrong, used or expired link: nothing to learn from it)."""
    link = None
    if secret and len(secret) <= _MAX_SECRET:
        link = session.scalar(select(PasswordLink).where(PasswordLink.token_hash == _digest(secret)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow() or not link.user.active:
        raise NotFoundError("this link is not valid: it was used, it expired, or a newer one replaced it")
    return link


def redeem(session: Session, *, secret: str, password: str, actor: Actor) -> User:
    """Set the password through a live link and use the link up (the caller commits).  A refused
    password (see :mod:`gallery.accounts.passwords`) leaves the link as it was."""
    link = find(session, secret)
    user = link.user
    set_password(session, user=user, password=password, actor=actor)
    link.used_at = utcnow()
    end_links(session, user, now=link.used_at)
    return user
