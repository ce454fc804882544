"""Who may do what: one table of role → permissions, and the one check against it.

No Flask here: routes apply the table through :mod:`gallery.http.guard` (``@requires``), domain
functions call :func:`has_permission` with the user they were given."""

from __future__ import annotations

import enum
from typing import Any

from gallery.core.errors import PermissionDenied
from gallery.models import Role


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
    """Whether ``user`` (an active, authenticated account; anything else holds nothing) holds ``permission``."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def require_permission(user: Any, permission: Permission, message: str) -> None:
    """A domain function's own check: :class:`PermissionDenied` with ``message`` (e.g. "only editors
    may delete events") unless ``user`` holds ``permission``."""
    if not has_permission(user, permission):
        raise PermissionDenied(message)
