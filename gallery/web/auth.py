"""Login, logout, the language switch and the theme toggle."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from gallery.accounts import sessions
from gallery.accounts import users as accounts
from gallery.core.audit import Actor, record
from gallery.extensions import limiter, login_manager
from gallery.http import context
from gallery.http import theme as themes
from gallery.http.locale import LANGUAGES
from gallery.http.safety import safe_next
from gallery.models import User
from gallery.web.blueprint import bp
from gallery.web.forms import LoginForm, LogoutForm


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """Session and remember-me cookies carry a login session's id, never the user's."""
    return sessions.load_user(context.db_session(), session_id)


def _login_rate_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:320]
    return f"login:{email}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"], key_func=_login_rate_key)
def login() -> Response | str | tuple[str, int]:
    target = safe_next(request.args.get("next"), url_for("manage.dashboard"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(context.db_session(), form.email.data or "", form.password.data or "")
        if user is not None:
            sessions.start(context.db_session(), user)
            login_user(user, remember=bool(form.remember.data))
            record(
                context.db_session(),
                "user.login",
                actor=Actor(user=user, via="web", ip=request.remote_addr),
                obj=user,
            )
            context.db_session().commit()
            return redirect(target)
        context.db_session().rollback()
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("web/login.html", form=form, next=request.args.get("next", "")), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    form = LogoutForm()
    if request.method == "POST":
        if form.validate_on_submit():
            if current_user.is_authenticated:
                sessions.end(context.db_session(), current_user.get_id())
                context.db_session().commit()
            logout_user()
            flash(_("You have been logged out."), "info")
        return redirect(url_for("web.home"))
    if not current_user.is_authenticated:
        return redirect(url_for("web.home"))
    # GET shows a confirmation button: logging out changes state, so it needs a
    # POST with a CSRF token (a cross-site <img src=/logout> must do nothing).
    return render_template("web/logout.html", form=form)


@bp.route("/language/<code>")
def language(code: str) -> Response:
    target = safe_next(request.args.get("next"), url_for("web.home"))
    response = make_response(redirect(target))
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.app_context_processor
def _theme() -> dict[str, Any]:
    """Every page (error pages and embeds too): ``theme_choice``, the visitor's, and
    ``page_theme(choice, photo_page=...)``, the ``<html data-theme>`` it leads to."""
    return {"theme_choice": themes.chosen(request.cookies), "page_theme": themes.page_theme}


@bp.route("/theme/<choice>")
def theme(choice: str) -> Response:
    """The theme toggle in the site header: plain links, so it works without JavaScript.
    ``auto`` forgets the choice (the browser's preference and the pages' defaults apply)."""
    target = safe_next(request.args.get("next"), url_for("web.home"))
    response = make_response(redirect(target))
    if choice in themes.THEMES:
        response.set_cookie(themes.COOKIE, choice, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    elif choice == "auto":
        response.delete_cookie(themes.COOKIE, samesite="Lax", httponly=True)
    return response
