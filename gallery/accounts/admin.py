"""What admins do to accounts, and the rules that keep the site manageable: the last active admin
is neither demoted nor deactivated, and nobody deactivates themselves.  ``/manage/users`` and the
``gallery`` user commands call these same functions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gallery.accounts import links
from gallery.accounts import users as accounts
from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError, ValidationError
from gallery.models import ApiToken, Role, User, utcnow


@dataclass(frozen=True)
class UserRow:
    """One line of the users page."""

    user: User
    live_tokens: int


@dataclass(frozen=True)
class NewUser:
    user: User
    link: links.IssuedLink  # the set-password link, shown once


def list_users(session: Session) -> list[UserRow]:
    """Every account, active ones first, by e-mail, with its number of live API tokens."""
    counts = dict(
        session.execute(
            select(ApiToken.user_id, func.count(ApiToken.id))
            .where(ApiToken.revoked_at.is_(None))
            .group_by(ApiToken.user_id)
        ).all()
    )
    users = session.scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return [UserRow(user=u, live_tokens=int(counts.get(u.id, 0))) for u in users]


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    return user


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(f"unknown role {role!r}: use admin, editor or photographer", field="role") from None


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count(User.id)).where(User.role == Role.admin, User.active.is_(True), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(session: Session, user: User, doing: str) -> None:
    if user.role == Role.admin and user.active and _other_active_admins(session, user) == 0:
        raise ConflictError(f"{user.email} is the last active admin and cannot be {doing}", code="last_admin")


def add_user(session: Session, *, email: str, role: Role | str, name: str = "", actor: Actor) -> NewUser:
    """A new account without a password, and the one-time link to choose it (the caller commits)."""
    user = accounts.create_user(session, email=email, role=_parse_role(role), password=None, name=name, actor=actor)
    return NewUser(user=user, link=links.issue(session, user=user, purpose="invite", actor=actor))


def change_role(session: Session, *, user: User, role: Role | str, actor: Actor) -> bool:
    """Give ``user`` another role; False when it was already theirs (the caller commits)."""
    new = _parse_role(role)
    if new == user.role:
        return False
    if new != Role.admin:
        _keep_an_admin(session, user, "demoted")
    old = user.role
    user.role = new
    record(session, "user.role_change", actor=actor, obj=user, details={"from": old.value, "to": new.value})
    return True


def set_active(session: Session, *, user: User, active: bool, actor: Actor) -> accounts.Ended:
    """(De)activate ``user``.  Deactivation ends every login session, API token and set-password
    link at once; the last active admin and the acting user themselves cannot be deactivated."""
    if not active:
        if actor.user_id is not None and actor.user_id == user.id:
            raise ConflictError("you cannot deactivate your own account", code="self_deactivation")
        _keep_an_admin(session, user, "deactivated")
        links.end_links(session, user)
    return accounts.set_active(session, user=user, active=active, actor=actor)


def set_password(session: Session, *, user: User, password: str, actor: Actor) -> accounts.Ended:
    """Give ``user`` a new password (an admin or a script does): every login session, API token and
    set-password link of theirs ends (the caller commits)."""
    ended = accounts.set_password(session, user=user, password=password, actor=actor)
    links.end_links(session, user)
    return ended


def reset_link(session: Session, *, user: User, actor: Actor) -> links.IssuedLink:
    """A one-time link for ``user`` to choose a new password; the old password keeps working until
    the link is used (the caller commits)."""
    return links.issue(session, user=user, purpose="reset", actor=actor)


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's API tokens, live ones first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_user_token(session: Session, *, user: User, token_id: int, actor: Actor) -> ApiToken:
    """Revoke one of ``user``'s tokens (another user's token id is not found); idempotent."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError(f"{user.email} has no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, "token.revoke", actor=actor, obj=token, details={"prefix": token.prefix, "user": user.email})
    return token
