"""Login sessions: server-side state behind Flask's signed (client-side) session cookie.

Each login creates a row with a random id; the id is what Flask-Login keeps in the session
and remember-me cookies (``User.get_id``), and only its SHA-256 is stored.  A user is loaded
only through a live row, so deleting the row (logout) ends every copy of either cookie, and
ending all of a user's rows (password change, deactivation) ends them everywhere."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import CursorResult, Delete, Update, delete, select, update
from sqlalchemy.orm import Session, joinedload

from gallery.models import ApiToken, LoginSession, User, utcnow

#: How long a login lasts at most (the remember-me cookie is given the same lifetime).
LIFETIME = timedelta(days=30)
_ID_RE = re.compile(r"[A-Za-z0-9_-]{40,64}")


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def start(session: Session, user: User) -> str:
    """A new login session for ``user`` (the caller commits); binds it to the user object."""
    now = utcnow()
    # the user's expired rows go when a new one comes, so the table stays small
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, id_hash=_digest(session_id), created_at=now, expires_at=now + LIFETIME))
    session.flush()
    user.login_session_id = session_id
    return session_id


def load_user(session: Session, session_id: str) -> User | None:
    """The active user of a live login session, bound to it; else None (read-only)."""
    if not _ID_RE.fullmatch(session_id or ""):
        return None
    row = session.scalar(
        select(LoginSession).where(LoginSession.id_hash == _digest(session_id)).options(joinedload(LoginSession.user))
    )
    if row is None or row.expires_at <= utcnow() or not row.user.active:
        return None
    row.user.login_session_id = session_id
    return row.user


def end(session: Session, session_id: str | None) -> None:
    """End one login session (logout); the caller commits."""
    if session_id and _ID_RE.fullmatch(session_id):
        session.execute(delete(LoginSession).where(LoginSession.id_hash == _digest(session_id)))


def _rows_changed(session: Session, statement: Delete | Update) -> int:
    """Run a DELETE or UPDATE and say how many rows it changed (DML answers with a CursorResult)."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


def end_all(session: Session, user: User) -> tuple[int, int]:
    """End every login session of ``user`` and revoke their live API tokens (the caller
    commits and audits).  Returns how many sessions and tokens were ended."""
    sessions = _rows_changed(session, delete(LoginSession).where(LoginSession.user_id == user.id))
    tokens = _rows_changed(
        session,
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch"),
    )
    user.login_session_id = None
    return sessions or 0, tokens or 0
