"""Albums: create, settings (title, description, cover, visibility and share link, order,
original downloads) and the manual order page."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.catalog.media_access import photo_media_right
from gallery.catalog.visibility import Viewer, share_token_for, shareable_token
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.formatting import ngettext
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.media_urls import cdn_purge, derivative_url
from gallery.http.urls import external_url
from gallery.manage.blueprint import bp
from gallery.manage.common import int_list, json_error, parse_int, wants_json
from gallery.manage.forms import AlbumForm, NewAlbumForm, service_error
from gallery.models import Album, OriginalDownloads, Photo, Visibility
from gallery.photos import reorder

ORDER_PAGE_SIZE = 200


def share_url(album: Album) -> str | None:
    """The album's share link, for editors only (see :func:`gallery.catalog.visibility.share_token_for`)."""
    token = share_token_for(Viewer.of(acting_user()), album)
    if not token:
        return None
    return external_url("web.album", album=album.slug, token=token)


@bp.app_template_global()
def visitor_url(album: Album) -> str:
    """The "View as visitors see it" link: for an unlisted album it carries the share token
    only for those who may have it; others get the plain address."""
    token = shareable_token(Viewer.of(acting_user()), album)
    return url_for("web.album", album=album.slug, token=token)


def thumbnail(photo: Photo, edge: int = 200) -> str | None:
    """URL of the smallest JPEG derivative at least ``edge`` px on its long side (or the largest)."""
    jpegs = sorted((d for d in photo.derivatives if d.format == "jpeg"), key=lambda d: d.width)
    if not jpegs:
        return None
    chosen = next((d for d in jpegs if max(d.width, d.height) >= edge), jpegs[-1])
    return derivative_url(chosen, photo_media_right(Viewer.of(acting_user()), photo))


@bp.route("/events/<event>/albums/new", methods=["GET", "POST"])
@requires(Permission.edit_content)
def album_new(event: str) -> Response | tuple[str, int]:
    found = catalog.get_event(context.db_session(), event)
    form = NewAlbumForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                album = albums.create_album(
                    context.db_session(),
                    event=found,
                    title=form.title.data,
                    slug=form.slug.data or None,
                    visibility=form.visibility.data,
                    description=form.description.data or "",
                    actor=current_actor(),
                )
            except GalleryError as exc:
                context.db_session().rollback()
                found = catalog.get_event(context.db_session(), event)
                service_error(form, exc)
            else:
                context.db_session().commit()
                flash(_("Album “%(title)s” created. Now add photos.", title=album.title), "success")
                return redirect(url_for("manage.upload", album=album.slug))
        return render_template("manage/album_new.html", form=form, event=found), 422
    return render_template("manage/album_new.html", form=form, event=found), 200


def _render_album_form(form: AlbumForm, album: Album, status: int) -> tuple[str, int]:
    return (
        render_template(
            "manage/album_edit.html",
            form=form,
            album=album,
            share_url=share_url(album),
            cover_thumb=thumbnail(album.cover_photo) if album.cover_photo else None,
        ),
        status,
    )


def _cover_choices(form: AlbumForm, album: Album) -> None:
    form.cover_photo_id.choices = [SelectChoice("", _("Automatic: the first photo"))] + [
        SelectChoice(str(pid), label) for pid, label in albums.cover_choices(context.db_session(), album)
    ]


@bp.route("/albums/<album>/edit", methods=["GET", "POST"])
@requires(Permission.edit_content)
def album_edit(album: str) -> Response | tuple[str, int]:
    found = albums.get_album(context.db_session(), album)
    if request.method == "GET":
        form = AlbumForm(
            obj=found,
            visibility=found.visibility.value,
            sort_mode=found.sort_mode.value,
            original_downloads=found.original_downloads.value,
            cover_photo_id=str(found.cover_photo_id or ""),
        )
        _cover_choices(form, found)
        return _render_album_form(form, found, 200)
    form = AlbumForm()
    _cover_choices(form, found)
    if form.validate_on_submit():
        try:
            cover = form.cover_photo_id.data or ""
            changed = albums.update_album(
                context.db_session(),
                found,
                title=form.title.data,
                description=form.description.data or "",
                visibility=form.visibility.data,
                sort_mode=form.sort_mode.data,
                original_downloads=form.original_downloads.data,
                accepts_raw=bool(form.accepts_raw.data),
                cover_photo_id=parse_int(cover, field="cover_photo_id", minimum=1) if cover else None,
                actor=current_actor(),
                storage=context.storage(),
                purge=cdn_purge(),
            )
        except GalleryError as exc:
            context.db_session().rollback()
            found = albums.get_album(context.db_session(), album)
            service_error(form, exc)
        else:
            context.db_session().commit()
            flash(_("Album saved.") if changed else _("Nothing to save: no changes."), "success" if changed else "info")
            if "original_downloads" in changed and found.original_downloads == OriginalDownloads.exact:
                flash(
                    _(
                        "Originals of this album can now be downloaded exactly as uploaded, with their location "
                        "data (GPS), by everyone who can see the album."
                    ),
                    "warning",
                )
            if "visibility" in changed and found.visibility == Visibility.unlisted:
                flash(_("Share the album with its share link, shown below."), "info")
            return redirect(url_for("manage.album_edit", album=found.slug))
    return _render_album_form(form, found, 422)


@bp.post("/albums/<album>/share-link")
@requires(Permission.edit_content)
def album_share_link(album: str) -> Response:
    found = albums.get_album(context.db_session(), album)
    albums.regenerate_share_token(context.db_session(), found, actor=current_actor())
    context.db_session().commit()
    flash(_("A new share link was made; the old one no longer works."), "success")
    return redirect(url_for("manage.album_edit", album=found.slug, _anchor="share"))


# --- manual order -----------------------------------------------------------------------------------


def _order_page_size() -> int:
    return int(current_app.config.get("MANAGE_ORDER_PAGE_SIZE", ORDER_PAGE_SIZE))


def _render_order(album: Album, start: int, status: int, error: str | None = None) -> tuple[str, int]:
    size = _order_page_size()
    photos, total = reorder.order_page(context.db_session(), album, start=start, limit=size)
    return (
        render_template(
            "manage/album_order.html",
            album=album,
            photos=photos,
            total=total,
            start=start,
            size=size,
            thumbnail=thumbnail,
            error=error,
        ),
        status,
    )


@bp.route("/albums/<album>/order", methods=["GET", "POST"])
@requires(Permission.edit_content)
def album_order(album: str) -> Response | tuple[str, int] | tuple[Response, int]:
    """Manual order.  Drag and drop posts ``order`` (the page's ids in their new order) and
    ``start``; without JavaScript the number inputs ``position-<id>`` move photos."""
    found = albums.get_album(context.db_session(), album)
    if request.method == "GET":
        start = parse_int(request.args.get("start", "0"), field="start", minimum=0)
        return _render_order(found, start, 200)
    start = 0
    try:
        start = parse_int(request.form.get("start", "0"), field="start", minimum=0)
        if "order" in request.form:
            ids = int_list([v for v in request.form["order"].split(",") if v.strip()], field="order")
            moved = reorder.reorder_block(context.db_session(), found, ids, start=start, actor=current_actor())
        else:
            moves = {}
            for name, value in request.form.items():
                if name.startswith("position-"):
                    photo_id = int_list([name.removeprefix("position-")], field=name)[0]
                    moves[photo_id] = parse_int(value, field=name, minimum=1)
            moved = reorder.reorder_moves(context.db_session(), found, moves, actor=current_actor())
    except GalleryError as exc:
        context.db_session().rollback()
        if wants_json():
            return json_error(exc)
        found = albums.get_album(context.db_session(), album)
        return _render_order(found, start, 422, error=exc.message)
    context.db_session().commit()
    message = ngettext("Order saved: %(num)d photo moved.", "Order saved: %(num)d photos moved.", moved)
    if wants_json():
        return jsonify({"moved": moved, "message": message})
    flash(message, "success")
    return redirect(url_for("manage.album_order", album=found.slug, start=start or None))
