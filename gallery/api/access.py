"""Who may call an API route, written once per route: the permission it needs (checked by
:func:`gallery.http.guard.requires`, before the body is read) and its documentation (bearer
security, the 401 and 403 answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gallery.api.blueprint import bp
from gallery.api.schemas.base import ErrorSchema
from gallery.core.permissions import Permission
from gallery.http.guard import requires

F = TypeVar("F", bound=Callable[..., Any])

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def errors(*answers: tuple[int, str]) -> Callable[[F], F]:
    """Document the error answers a route gives, ``(status, when)``, in the contract's shape."""

    def decorator(view: F) -> F:
        for status, description in answers:
            view = bp.alt_response(status, schema=ErrorSchema, description=description)(view)
        return view

    return decorator


def protected(permission: Permission) -> Callable[[F], F]:
    """The route needs a bearer token whose user holds ``permission`` (401 without a valid token,
    403 without the permission), checked before anything else the route does."""

    def decorator(view: F) -> F:
        guarded = errors(
            (401, "missing or invalid token"), (403, f"your role may not do this (needs {permission.value})")
        )(requires(permission)(view))
        return bp.doc(security=BEARER)(guarded)

    return decorator


def public(view: F) -> F:
    """Anyone may call the route; a bearer token, when sent, must be valid and may show more."""
    documented = errors((401, "invalid token"))(view)
    return bp.doc(security=[{}, *BEARER])(documented)
