"""The role → permission table and the one check against it (no Flask involved)."""

from __future__ import annotations

import pytest

from gallery.core.permissions import ROLE_PERMISSIONS, Permission, has_permission
from gallery.models import Role, User


def _user(role: Role, *, active: bool = True) -> User:
    return User(email=f"{role.value}@example.org", role=role, active=active)


@pytest.mark.parametrize("role", list(Role))
def test_a_user_holds_exactly_the_permissions_of_their_role(role: Role) -> None:
    user = _user(role)
    assert {p for p in Permission if has_permission(user, p)} == set(ROLE_PERMISSIONS[role])


def test_the_table_reads_as_the_role_matrix() -> None:
    assert ROLE_PERMISSIONS[Role.photographer] == {Permission.manage, Permission.upload, Permission.caption_own}
    assert ROLE_PERMISSIONS[Role.editor] == ROLE_PERMISSIONS[Role.photographer] | {
        Permission.edit_content,
        Permission.view_private,
    }
    assert ROLE_PERMISSIONS[Role.admin] == set(Permission)


def test_nobody_and_deactivated_users_hold_nothing() -> None:
    assert not any(has_permission(None, p) for p in Permission)
    assert not any(has_permission(_user(Role.admin, active=False), p) for p in Permission)


def test_anonymous_flask_login_users_hold_nothing() -> None:
    from flask_login import AnonymousUserMixin

    assert not any(has_permission(AnonymousUserMixin(), p) for p in Permission)


def test_permissions_is_free_of_flask() -> None:
    import ast
    from pathlib import Path

    import gallery.core.permissions as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m and m.split(".")[0] in ("flask", "flask_login")}
