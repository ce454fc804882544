"""Who is asking, and may they: the one permission mechanism for routes.

The role → permission table lives in :mod:`gallery.core.permissions`; this module applies it to
requests.  Every protected route says which permission it needs with ``@requires(...)``.  The
decorator knows whether the route belongs to the JSON API (bearer tokens, JSON errors) or to the
HTML management area (session login, redirect to ``/login``).  API requests are authenticated by
:func:`authenticate_api_token`, which the ``api`` blueprint runs before each of its requests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from gallery.accounts import users as accounts
from gallery.core.audit import Actor
from gallery.core.permissions import Permission, has_permission
from gallery.extensions import csrf
from gallery.http import context
from gallery.http.request import may_write
from gallery.models import User

F = TypeVar("F", bound=Callable[..., Any])


class ApiAuthError(Exception):
    """An API request without a valid token (401) or without the permission (403)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def authenticate_api_token() -> None:
    """Set ``g.api_user`` from the ``Authorization: Bearer TOKEN`` header (None without one);
    a malformed header or an unknown or revoked token is a 401."""
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiAuthError(401, "unauthorized", "use the header Authorization: Bearer TOKEN")
    token = accounts.token_for_secret(context.db_session(), secret.strip())
    if token is None:
        raise ApiAuthError(401, "unauthorized", "the API token is invalid or revoked")
    user = token.user
    if accounts.token_needs_touch(token):
        try:
            accounts.touch_token(context.db_session(), token.id)
            context.db_session().commit()
        except OperationalError:  # best effort: a busy SQLite must not fail the request
            context.db_session().rollback()
    g.api_user = user


def acting_user() -> User | None:
    """The user behind this request: the API token's user, else the logged-in user."""
    api_user: User | None = g.get("api_user")
    if api_user is not None:
        return api_user
    if current_user and current_user.is_authenticated:
        user: User = current_user._get_current_object()
        return user
    return None


def current_actor() -> Actor:
    """The audit actor of this request: its user, the door (api or web), address and request id."""
    via = "api" if request.blueprint == "api" else "web"
    return Actor(user=acting_user(), via=via, ip=request.remote_addr, request_id=g.get("request_id"))


def requires(permission: Permission, *, session: bool = False) -> Callable[[F], F]:
    """Route decorator: the user must hold ``permission``.

    API routes: 401 without a valid bearer token, 403 without the permission; with ``session``
    (the resumable uploads the upload page sends) the logged-in session counts too, and then
    every request that may write must carry the session's CSRF token (``X-CSRFToken``; 400).
    HTML routes: anonymous visitors go to /login, others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.blueprint == "api":
                user = g.get("api_user")
                if user is None and session and current_user.is_authenticated:
                    if may_write():
                        csrf.protect()
                    user = current_user._get_current_object()
                if user is None:
                    raise ApiAuthError(
                        401, "unauthorized", "a valid API token is required: Authorization: Bearer TOKEN"
                    )
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
