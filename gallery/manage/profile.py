"""``/manage/profile``: every user's own name, default credit, password and API tokens.
The rules live in :mod:`gallery.accounts.profile`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user
from werkzeug.wrappers import Response

from gallery.accounts import admin, sessions
from gallery.accounts import profile as profiles
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.accounts import problem_text, role_label
from gallery.http.guard import acting_user, current_actor, requires
from gallery.manage.blueprint import bp
from gallery.manage.common import parse_int
from gallery.models import User


def _me() -> User:
    user = acting_user()
    assert user is not None  # @requires(Permission.manage) let only a logged-in user through
    return user


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    user = _me()
    return (
        render_template(
            "manage/profile.html",
            user=user,
            credit=profiles.default_credit(user),
            tokens=admin.user_tokens(context.db_session(), user),
            role_label=role_label,
            **extra,
        ),
        status,
    )


@bp.route("/profile", methods=["GET"])
@requires(Permission.manage)
def profile() -> tuple[str, int]:
    return _page()


@bp.route("/profile", methods=["POST"])
@requires(Permission.manage)
def profile_save() -> Response | tuple[str, int]:
    session = context.db_session()
    try:
        changed = profiles.update_profile(
            session,
            user=_me(),
            name=request.form.get("name", ""),
            default_credit=request.form.get("default_credit", ""),
            actor=current_actor(),
        )
    except GalleryError as exc:
        session.rollback()
        return _page(exc.status, profile_error=problem_text(exc))
    session.commit()
    flash(_("Profile saved.") if changed else _("Nothing to change."), "success" if changed else "info")
    return redirect(url_for("manage.profile"))


@bp.route("/profile/password", methods=["POST"])
@requires(Permission.manage)
def profile_password() -> Response | tuple[str, int]:
    """Change one's own password: every other login session and every API token ends; this
    browser stays logged in with a fresh session."""
    session = context.db_session()
    user = _me()
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return _page(422, password_error=_("The two new passwords differ."))
    try:
        ended = profiles.change_password(
            session, user=user, current=request.form.get("current_password", ""), new=new, actor=current_actor()
        )
    except GalleryError as exc:
        session.rollback()
        return _page(exc.status, password_error=problem_text(exc))
    sessions.start(session, user)
    session.commit()
    login_user(user)
    flash(
        _(
            "Password changed. You were logged out everywhere else (API tokens revoked: %(tokens)s).",
            tokens=ended.tokens,
        ),
        "success",
    )
    return redirect(url_for("manage.profile"))


@bp.route("/profile/tokens", methods=["POST"])
@requires(Permission.manage)
def profile_token_create() -> tuple[str, int]:
    """A new API token of one's own, shown once on the answer."""
    session = context.db_session()
    try:
        issued = profiles.create_own_token(
            session, user=_me(), name=request.form.get("name", ""), actor=current_actor()
        )
    except GalleryError as exc:
        session.rollback()
        return _page(exc.status, token_error=problem_text(exc))
    session.commit()
    return _page(200, issued_token=issued)


@bp.route("/profile/tokens/revoke", methods=["POST"])
@requires(Permission.manage)
def profile_token_revoke() -> Response | tuple[str, int]:
    session = context.db_session()
    try:
        token_id = parse_int(request.form.get("token"), field="token", minimum=1)
        token = profiles.revoke_own_token(session, user=_me(), token_id=token_id, actor=current_actor())
    except GalleryError as exc:
        session.rollback()
        return _page(exc.status, token_error=problem_text(exc))
    session.commit()
    flash(_("API token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("manage.profile"))
