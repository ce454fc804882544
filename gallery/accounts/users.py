"""Accounts: users, password hashing (argon2) and API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gallery.accounts import sessions
from gallery.accounts.passwords import check_password, user_inputs
from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.models import ApiToken, Role, User, utcnow

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as much
# time as a wrong password and does not reveal which accounts exist.
# (Computed on first use: an argon2 hash costs 64 MiB and ~50 ms, which every
# CLI command and worker would otherwise pay at import.)
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


TOKEN_PREFIX = "gal_"


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    local, sep, domain = email.rpartition("@")
    if not sep or not local or not domain or "." not in domain or any(c.isspace() for c in email) or len(email) > 320:
        raise ValidationError(f"{email!r} is not a valid e-mail address", field="email")
    return f"{local}@{domain.lower()}"


def hash_password(password: str, inputs: list[str] | None = None) -> str:
    """The argon2 hash of an acceptable password (see :mod:`.passwords`); ``inputs`` are what
    is known about its owner (e-mail, name), which must not make it easy to guess."""
    check_password(password, inputs or ())
    return _hasher.hash(password)


def find_user(session: Session, email: str) -> User | None:
    try:
        email = normalise_email(email)
    except ValidationError:
        return None
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def create_user(
    session: Session,
    *,
    email: str,
    role: Role | str,
    password: str | None,
    name: str = "",
    actor: Actor,
) -> User:
    email = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"unknown role {role!r}: use admin, editor or photographer", field="role") from None
    if find_user(session, email) is not None:
        raise ConflictError(f"a user with the e-mail {email} already exists", field="email")
    user = User(
        email=email,
        role=role,
        name=name.strip()[:200],
        password_hash=hash_password(password, user_inputs(email, name)) if password else None,
        active=True,
    )
    session.add(user)
    session.flush()
    record(session, "user.create", actor=actor, obj=user, details={"email": email, "role": role.value})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (constant-ish time)."""
    user = find_user(session, email)
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


@dataclass(frozen=True)
class Ended:
    """What a password change or deactivation ended."""

    sessions: int
    tokens: int


def set_password(session: Session, *, user: User, password: str, actor: Actor) -> Ended:
    """Give ``user`` a new password and end all their sessions and API tokens (the caller commits)."""
    user.password_hash = hash_password(password, user_inputs(user.email, user.name))
    ended = Ended(*sessions.end_all(session, user))
    record(
        session,
        "user.password_change",
        actor=actor,
        obj=user,
        details={"sessions_ended": ended.sessions, "tokens_revoked": ended.tokens},
    )
    return ended


def set_active(session: Session, *, user: User, active: bool, actor: Actor) -> Ended:
    """(De)activate ``user``; deactivation ends all their sessions and API tokens, and
    reactivation brings none of them back (the caller commits)."""
    ended = Ended(0, 0)
    if not active:
        ended = Ended(*sessions.end_all(session, user))
    if user.active != active:
        user.active = active
        record(
            session,
            "user.activate" if active else "user.deactivate",
            actor=actor,
            obj=user,
            details={"sessions_ended": ended.sessions, "tokens_revoked": ended.tokens},
        )
    return ended


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, *, user: User, name: str = "", actor: Actor) -> IssuedToken:
    """A new API token for the user.  Only its SHA-256 is stored: tokens are
    256-bit random values, so a fast hash is enough and lookups stay O(1)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:200], token_hash=_token_digest(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    record(session, "token.create", actor=actor, obj=token, details={"user": user.email, "prefix": token.prefix})
    return IssuedToken(token=token, secret=secret)


def token_for_secret(session: Session, secret: str) -> ApiToken | None:
    """The live token with this secret and an active user, else None (read-only)."""
    if not secret or len(secret) > 200:
        return None
    digest = _token_digest(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.user.active:
        return None
    return token


def user_for_token(session: Session, secret: str) -> User | None:
    token = token_for_secret(session, secret)
    return token.user if token is not None else None


def token_needs_touch(token: ApiToken) -> bool:
    """Record use at most once a minute, to avoid a write per request."""
    return token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() > 60


def touch_token(session: Session, token_id: int) -> None:
    """Set last_used_at (the caller commits)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def revoke_token(session: Session, *, prefix: str, actor: Actor) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None:
        raise NotFoundError(f"no token starts with {prefix!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, "token.revoke", actor=actor, obj=token, details={"prefix": prefix})
    return token
