"""What every user changes about themselves (``/manage/profile``): their name, the credit their
uploads get by default, their password and their own API tokens."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from gallery.accounts import admin, links
from gallery.accounts import users as accounts
from gallery.core.audit import Actor, record
from gallery.core.errors import ValidationError
from gallery.models import ApiToken, User

NAME_MAX = 200
CREDIT_MAX = 200
TOKEN_NAME_MAX = 200
_hasher = PasswordHasher()


def default_credit(user: User) -> str:
    """The credit a new upload by ``user`` gets: their chosen default credit, else their name."""
    return (user.default_credit or "").strip() or (user.name or "").strip()


def _clean(value: str | None, *, field: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters", field=field)
    return text


def update_profile(session: Session, *, user: User, name: str, default_credit: str, actor: Actor) -> bool:
    """Change the name and the default credit (empty: the name); False when nothing changed."""
    changes: dict[str, object] = {}
    new_name = _clean(name, field="name", limit=NAME_MAX)
    new_credit = _clean(default_credit, field="default_credit", limit=CREDIT_MAX)
    if new_name != user.name:
        changes["name"] = [user.name, new_name]
        user.name = new_name
    if new_credit != user.default_credit:
        changes["default_credit"] = [user.default_credit, new_credit]
        user.default_credit = new_credit
    if changes:
        record(session, "user.profile_change", actor=actor, obj=user, details=changes)
    return bool(changes)


def change_password(session: Session, *, user: User, current: str, new: str, actor: Actor) -> accounts.Ended:
    """The user's own password change: the current password must be right, the new one must pass
    the password rule.  Every login session (this one too: the caller starts a fresh one), API
    token and set-password link of the user ends (the caller commits)."""
    try:
        _hasher.verify(user.password_hash or "", current or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise ValidationError(
            "the current password is wrong", field="current_password", code="wrong_password"
        ) from None
    ended = accounts.set_password(session, user=user, password=new, actor=actor)
    links.end_links(session, user)
    return ended


def create_own_token(session: Session, *, user: User, name: str, actor: Actor) -> accounts.IssuedToken:
    return accounts.create_token(session, user=user, name=_clean(name, field="name", limit=TOKEN_NAME_MAX), actor=actor)


def revoke_own_token(session: Session, *, user: User, token_id: int, actor: Actor) -> ApiToken:
    """Revoke one of the user's own tokens; anyone else's is not found."""
    return admin.revoke_user_token(session, user=user, token_id=token_id, actor=actor)
