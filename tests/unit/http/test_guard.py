"""The permission mechanism of routes: API token authentication, ``@requires``, the acting user
and the audit actor of a request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, g

from gallery.core.permissions import Permission
from gallery.http.guard import ApiAuthError, acting_user, authenticate_api_token, current_actor, requires
from gallery.models import Role, User
from tests.conftest import make_token, make_user


def _protected() -> str:
    return "done"


@contextmanager
def _request(app: Flask, path: str, *, user: User | None = None, **kwargs: Any) -> Iterator[None]:
    """A request context with a fresh ``g`` (the test's app context is shared), as ``user`` when given
    (Flask-Login keeps the logged-in user of a request in ``g._login_user``)."""
    with app.test_request_context(path, **kwargs):
        for name in list(vars(g)):
            delattr(g, name)
        if user is not None:
            g._login_user = user
        yield


def test_api_requests_without_a_token_are_401_and_without_the_permission_403(app: Flask) -> None:
    view = requires(Permission.edit_content)(_protected)
    assert view.required_permission is Permission.edit_content  # type: ignore[attr-defined]
    photographer, editor = make_user(Role.photographer), make_user(Role.editor)
    with _request(app, "/api/v1/events", method="POST"):
        g.api_user = None
        with pytest.raises(ApiAuthError) as missing:
            view()
        assert (missing.value.status, missing.value.code) == (401, "unauthorized")
        g.api_user = photographer
        with pytest.raises(ApiAuthError) as refused:
            view()
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
        assert "photographer" in refused.value.message
        g.api_user = editor
        assert view() == "done"


def test_html_requests_send_anonymous_visitors_to_login_and_refuse_others_with_403(app: Flask) -> None:
    from werkzeug.exceptions import Forbidden

    view = requires(Permission.admin)(_protected)
    with _request(app, "/manage/?tab=1"):
        response = view()
        assert response.status_code == 302
        assert response.headers["Location"] == "/login?next=/manage/?tab%3D1"
    editor, admin = make_user(Role.editor), make_user(Role.admin, email="admin@example.org")
    with _request(app, "/manage/", user=editor), pytest.raises(Forbidden):
        view()
    with _request(app, "/manage/", user=admin):
        assert view() == "done"


def test_api_token_authentication(app: Flask) -> None:
    user = make_user(Role.editor)
    secret = make_token(user)
    with _request(app, "/api/v1/events"):
        authenticate_api_token()
        assert g.api_user is None  # no header: anonymous, routes decide
    for header, message in (("Basic abc", "use the header"), ("Bearer ", "use the header"), ("Bearer nope", "invalid")):
        with _request(app, "/api/v1/events", headers={"Authorization": header}):
            with pytest.raises(ApiAuthError) as refused:
                authenticate_api_token()
            assert refused.value.status == 401 and message in refused.value.message
    with _request(app, "/api/v1/events", headers={"Authorization": f"bearer {secret}"}):
        authenticate_api_token()
        assert g.api_user.id == user.id


def test_the_acting_user_is_the_token_user_before_the_logged_in_one(app: Flask) -> None:
    logged_in, token_user = make_user(Role.photographer), make_user(Role.editor)
    with _request(app, "/manage/"):
        assert acting_user() is None
    with _request(app, "/manage/", user=logged_in):
        assert acting_user() is logged_in
        g.api_user = token_user
        assert acting_user() is token_user


def test_the_audit_actor_names_the_door_the_address_and_the_request_id(app: Flask) -> None:
    user = make_user(Role.editor)
    with _request(app, "/api/v1/events", method="POST", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        g.api_user, g.request_id = user, "rid-12345678"
        actor = current_actor()
        assert (actor.user, actor.via, actor.ip, actor.request_id) == (user, "api", "192.0.2.7", "rid-12345678")
    with _request(app, "/manage/"):
        actor = current_actor()
        assert (actor.user, actor.via, actor.request_id) == (None, "web", None)
