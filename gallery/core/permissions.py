"""Who may do what: one table of role → permissions, and one decorator for routes.

Every protected route says which permission it needs with ``@requires(...)``.  The
decorator knows whether the route belongs to the JSON API (bearer tokens, JSON
errors) or to the HTML management area (session login, redirect to ``/login``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from gallery.core.audit import Actor
from gallery.models import Role, User


class Permission(str, enum.Enum):
    manage = "manage"  # enter the management area
    upload = "upload"  # add photos to albums
    caption_own = "caption_own"  # caption photos one uploaded
    edit_content = "edit_content"  # events, albums, reports, any photo
    view_private = "view_private"  # private and unlisted albums without a token
    admin = "admin"  # users, tokens, audit log


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.photographer: frozenset({Permission.manage, Permission.upload, Permission.caption_own}),
    Role.editor: frozenset(
        {Permission.manage, Permission.upload, Permission.caption_own, Permission.edit_content, Permission.view_private}
    ),
    Role.admin: frozenset(Permission),
}


def has_permission(user: Any, permission: Permission) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def acting_user() -> User | None:
    """The user behind this request: the API token's user, else the logged-in user."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user  # type: ignore[no-any-return]
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def current_actor() -> Actor:
    via = "api" if request.blueprint == "api" else "web"
    return Actor(user=acting_user(), via=via, ip=request.remote_addr, request_id=g.get("request_id"))


F = TypeVar("F", bound=Callable[..., Any])


class ApiAuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def requires(permission: Permission) -> Callable[[F], F]:
    """Route decorator: the user must hold ``permission``.

    API routes: 401 without a valid bearer token, 403 without the permission.
    HTML routes: anonymous visitors go to /login, others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.blueprint == "api":
                user = g.get("api_user")
                if user is None:
                    raise ApiAuthError(401, "unauthorized", "a valid API token is required: Authorization: Bearer TOKEN")
                if not has_permission(user, permission):
                    raise ApiAuthError(403, "forbidden", f"your role ({user.role.value}) may not do this")
            else:
                if not current_user.is_authenticated:
                    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
                if not has_permission(current_user, permission):
                    abort(403)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
