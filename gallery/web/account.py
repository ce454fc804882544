"""``/account/set-password/<secret>``: choose a password through a one-time link (a new user's
invitation or an admin's reset; see :mod:`gallery.accounts.links`)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gallery.accounts import links
from gallery.core.audit import Actor
from gallery.core.errors import GalleryError, NotFoundError
from gallery.extensions import limiter
from gallery.http import context
from gallery.http.accounts import problem_text
from gallery.web.blueprint import bp


def _page(secret: str, status: int, **values: object) -> Response:
    response = make_response(render_template("web/set_password.html", secret=secret, **values), status)
    # the secret is in the URL: never send it on to another site, never keep the page
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/set-password/<secret>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def set_password(secret: str) -> Response:
    session = context.db_session()
    try:
        link = links.find(session, secret)
    except NotFoundError:
        return _page(secret, 404, invalid=True)
    if request.method == "GET":
        return _page(secret, 200, email=link.user.email, purpose=link.purpose)
    password = request.form.get("password", "")
    if password != request.form.get("confirm_password", ""):
        return _page(secret, 422, email=link.user.email, purpose=link.purpose, error=_("The two passwords differ."))
    try:
        user = links.redeem(
            session,
            secret=secret,
            password=password,
            actor=Actor(user=link.user, via="web", ip=request.remote_addr),
        )
    except GalleryError as exc:
        session.rollback()
        return _page(secret, exc.status, email=link.user.email, purpose=link.purpose, error=problem_text(exc))
    session.commit()
    flash(_("Your password is set. Log in with %(email)s.", email=user.email), "success")
    return redirect(url_for("web.login"))
