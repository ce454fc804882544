"""``/manage/users`` (admins): add a user with a one-time set-password link, change a role,
(de)activate, reset a password by a new link, list and revoke a user's API tokens.  The rules
live in :mod:`gallery.accounts.admin`; this module parses forms and renders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.accounts import admin
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.accounts import problem_text, role_label
from gallery.http.guard import current_actor, requires
from gallery.http.urls import absolute
from gallery.manage.blueprint import bp
from gallery.manage.common import parse_int
from gallery.models import Role


def _users_page(status: int = 200, **extra: object) -> tuple[str, int]:
    rows = admin.list_users(context.db_session())
    return render_template("manage/users.html", rows=rows, roles=list(Role), role_label=role_label, **extra), status


@bp.route("/users", methods=["GET"])
@requires(Permission.admin)
def users() -> tuple[str, int]:
    return _users_page()


@bp.route("/users", methods=["POST"])
@requires(Permission.admin)
def user_add() -> tuple[str, int]:
    """Add a user; the answer shows their set-password link once (it is not kept anywhere)."""
    form = {k: (request.form.get(k) or "").strip() for k in ("email", "name", "role")}
    try:
        created = admin.add_user(
            context.db_session(), email=form["email"], name=form["name"], role=form["role"], actor=current_actor()
        )
    except GalleryError as exc:
        context.db_session().rollback()
        return _users_page(exc.status if exc.status in (409, 422) else 400, form=form, error=problem_text(exc))
    context.db_session().commit()
    return _users_page(200, issued=created.link, issued_for=created.user, link_url=absolute(created.link.path))


def _user_page(user_id: int, status: int = 200, **extra: object) -> tuple[str, int]:
    session = context.db_session()
    user = admin.get_user(session, user_id)
    tokens = admin.user_tokens(session, user)
    return render_template(
        "manage/user.html", user=user, tokens=tokens, roles=list(Role), role_label=role_label, **extra
    ), status


@bp.route("/users/<int:user_id>", methods=["GET"])
@requires(Permission.admin)
def user_detail(user_id: int) -> tuple[str, int]:
    return _user_page(user_id)


def _act(user_id: int, action: str) -> Response | tuple[str, int]:
    session = context.db_session()
    user = admin.get_user(session, user_id)
    actor = current_actor()
    try:
        if action == "role":
            if admin.change_role(session, user=user, role=request.form.get("role", ""), actor=actor):
                flash(_("%(email)s is now: %(role)s.", email=user.email, role=role_label(user.role)), "success")
        elif action == "active":
            active = request.form.get("active") == "1"
            ended = admin.set_active(session, user=user, active=active, actor=actor)
            if active:
                flash(_("%(email)s can log in again.", email=user.email), "success")
            else:
                flash(
                    _(
                        "%(email)s is deactivated "
                        "(login sessions ended: %(sessions)s; API tokens revoked: %(tokens)s).",
                        email=user.email,
                        sessions=ended.sessions,
                        tokens=ended.tokens,
                    ),
                    "success",
                )
        elif action == "revoke":
            token_id = parse_int(request.form.get("token"), field="token", minimum=1)
            token = admin.revoke_user_token(session, user=user, token_id=token_id, actor=actor)
            flash(_("API token %(prefix)s… revoked.", prefix=token.prefix), "success")
    except GalleryError as exc:
        session.rollback()
        return _user_page(user_id, exc.status, error=problem_text(exc))
    session.commit()
    return redirect(url_for("manage.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires(Permission.admin)
def user_role(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, "role")


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires(Permission.admin)
def user_active(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, "active")


@bp.route("/users/<int:user_id>/tokens/revoke", methods=["POST"])
@requires(Permission.admin)
def user_token_revoke(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, "revoke")


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@requires(Permission.admin)
def user_password_link(user_id: int) -> tuple[str, int]:
    """A new one-time link to choose a password, shown once on the answer."""
    session = context.db_session()
    user = admin.get_user(session, user_id)
    try:
        issued = admin.reset_link(session, user=user, actor=current_actor())
    except GalleryError as exc:
        session.rollback()
        return _user_page(user_id, exc.status, error=problem_text(exc))
    session.commit()
    return _user_page(user_id, 200, issued=issued, link_url=absolute(issued.path))
