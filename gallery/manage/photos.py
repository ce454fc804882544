"""The photo grid of an album: captions, alt texts and credits (one photo at a time
with fetch, or the whole page as one plain form), bulk actions, and the bin of
deleted photos.  Photographers see and edit only the photos they uploaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from gallery.catalog import albums
from gallery.consent import blur, hiding
from gallery.core.errors import (
    ConflictError,
    GalleryError,
    NotFoundError,
    ValidationError,
)
from gallery.core.permissions import Permission, has_permission
from gallery.http import context
from gallery.http.formatting import ngettext
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.media_urls import cdn_purge
from gallery.http.render import CaptureTime, capture_time
from gallery.manage.albums import thumbnail
from gallery.manage.blueprint import bp
from gallery.manage.common import int_list, json_error, wants_json
from gallery.models import Album, HiddenReason, Photo
from gallery.photos import deletion, editing
from gallery.photos import service as photo_service

GRID_PAGE_SIZE = 100
FIELDS = editing.TEXT_FIELDS  # caption, alt_text, credit


def _grid_page_size() -> int:
    return int(current_app.config.get("MANAGE_GRID_PAGE_SIZE", GRID_PAGE_SIZE))


@dataclass
class GridRow:
    photo: Photo
    thumb: str | None
    values: dict[str, str]
    originals: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    editable: bool = True
    taken: CaptureTime | None = None  # on the event's clock, as every page shows it


def _after() -> str | None:
    value = (request.values.get("after") or "").strip()
    return value[:400] or None


def _render_grid(
    album: Album,
    *,
    after: str | None,
    status: int = 200,
    submitted: dict[int, tuple[dict[str, str], dict[str, str]]] | None = None,
    errors: dict[int, dict[str, str]] | None = None,
    bulk_error: str | None = None,
) -> tuple[str, int]:
    user = acting_user()
    page = editing.grid_page(context.db_session(), album, user=user, after=after, limit=_grid_page_size())
    rows = []
    for photo in page.photos:
        current = {f: getattr(photo, f) for f in FIELDS}
        values, originals = (submitted or {}).get(photo.id, (current, current))
        rows.append(
            GridRow(
                photo=photo,
                thumb=thumbnail(photo),
                values={f: values.get(f, current[f]) for f in FIELDS},
                originals={f: originals.get(f, current[f]) for f in FIELDS},
                errors=(errors or {}).get(photo.id, {}),
                editable=photo_service.can_edit_photo(photo, user),
                taken=capture_time(photo, album.event, seconds=True),  # "7 May 2024, 09:31:55 (UTC+02:00)"
            )
        )
    editor = has_permission(user, Permission.edit_content)
    targets: list[Any] = []
    if editor:
        targets = list(
            context.db_session().execute(
                select(Album.slug, Album.title).where(Album.id != album.id).order_by(Album.title, Album.id)
            )
        )
    return (
        render_template(
            "manage/photos.html",
            album=album,
            page=page,
            rows=rows,
            after=after,
            editor=editor,
            targets=targets,
            bulk_error=bulk_error,
            select_all=request.args.get("select") == "all",
            retention_days=deletion.RETENTION.days,
        ),
        status,
    )


@bp.get("/albums/<album>/photos")
@requires(Permission.caption_own)
def album_photos(album: str) -> tuple[str, int]:
    return _render_grid(albums.get_album(context.db_session(), album), after=_after())


def _row_edits() -> list[editing.RowEdit]:
    ids = int_list(request.form.getlist("photo"), field="photo")
    rows = []
    for photo_id in ids:
        values = {f: request.form[f"{f}-{photo_id}"] for f in FIELDS if f"{f}-{photo_id}" in request.form}
        originals: dict[str, str | None] = {f: request.form.get(f"o-{f}-{photo_id}") for f in FIELDS}
        rows.append(editing.RowEdit(photo_id=photo_id, values=values, originals=originals))
    return rows


def _grid_url(album: Album, after: str | None, anchor: str | None = None) -> str:
    return url_for("manage.album_photos", album=album.slug, after=after, _anchor=anchor)


def _flash_save(result: editing.SaveResult) -> None:
    if result.saved:
        flash(ngettext("Saved %(num)d photo.", "Saved %(num)d photos.", len(result.saved)), "success")
    elif not result.conflicts and not result.missing:
        flash(_("Nothing to save: no changes."), "info")
    if result.conflicts:
        flash(
            ngettext(
                "%(num)d photo was changed by someone else meanwhile and was not saved; check it and edit again.",
                "%(num)d photos were changed by someone else meanwhile and were not saved; check them and edit again.",
                len(result.conflicts),
            ),
            "error",
        )
    if result.missing:
        flash(
            ngettext(
                "%(num)d photo was deleted or moved meanwhile; its changes were not saved.",
                "%(num)d photos were deleted or moved meanwhile; their changes were not saved.",
                len(result.missing),
            ),
            "error",
        )


@bp.post("/albums/<album>/photos")
@requires(Permission.caption_own)
def album_photos_save(album: str) -> Response | tuple[str, int]:
    """The whole grid as one form: saves every changed row (all or nothing)."""
    found = albums.get_album(context.db_session(), album)
    after = _after()
    edits = _row_edits()
    result = editing.save_rows(context.db_session(), found, edits, actor=current_actor())
    if not result.ok:
        context.db_session().rollback()
        found = albums.get_album(context.db_session(), album)
        submitted = {
            e.photo_id: (dict(e.values), {k: v for k, v in e.originals.items() if v is not None}) for e in edits
        }
        flash(_("Nothing was saved: correct the fields marked below."), "error")
        return _render_grid(found, after=after, status=422, submitted=submitted, errors=result.errors)
    context.db_session().commit()
    _flash_save(result)
    return redirect(_grid_url(found, after))


@bp.post("/photos/<int:photo_id>")
@requires(Permission.caption_own)
def photo_save(photo_id: int) -> Response | tuple[Response, int]:
    """One photo's caption, alt text and credit (the grid's fetch; also a plain form).

    Fields ``caption``, ``alt_text``, ``credit``; optionally ``o-caption`` … with the values
    the page showed, so that a change someone else made meanwhile is reported (409), not
    overwritten."""
    try:
        photo = context.db_session().get(Photo, photo_id) if 0 < photo_id < 2**31 else None
        if photo is None or photo.deleted_at is not None:
            raise NotFoundError(f"no photo {photo_id}")
        edit = editing.RowEdit(
            photo_id=photo_id,
            values={f: request.form[f] for f in FIELDS if f in request.form},
            originals={f: request.form.get(f"o-{f}") for f in FIELDS},
        )
        result = editing.save_rows(context.db_session(), None, [edit], actor=current_actor())
        if result.errors:
            field_name, message = next(iter(result.errors[photo_id].items()))
            raise ValidationError(f"{field_name.replace('_', ' ')} is {message}", field=field_name)
        if result.conflicts:
            raise ConflictError(
                _("Someone else changed this photo meanwhile; reload the page to see their change."),
                field=result.conflicts[photo_id][0],
            )
    except GalleryError as exc:
        context.db_session().rollback()
        if wants_json():
            extra: dict[str, Any] = {}
            if isinstance(exc, ConflictError) and photo is not None:
                context.db_session().refresh(photo)
                extra["current"] = {f: getattr(photo, f) for f in FIELDS}
            return json_error(exc, **extra)
        raise
    context.db_session().commit()
    saved = bool(result.saved)
    message = _("Saved") if saved else _("No changes")
    if wants_json():
        return jsonify({"id": photo.id, "saved": saved, "message": message, **{f: getattr(photo, f) for f in FIELDS}})
    flash(
        _("Photo %(name)s saved.", name=photo.original_filename) if saved else _("Nothing to save: no changes."),
        "success",
    )
    return redirect(url_for("manage.album_photos", album=photo.album.slug, _anchor=f"photo-{photo.id}"))


# --- bulk actions ------------------------------------------------------------------------------------


def _selected(album: Album, *, deleted: bool = False) -> list[Photo]:
    ids = int_list(request.form.getlist("selected"), field="selected")
    if not ids:
        raise ValidationError(_("Select at least one photo first."), field="selected")
    found = editing.photos_in_album(context.db_session(), album, ids, deleted=deleted)
    if not found:
        raise ValidationError(
            _("None of the selected photos is in this album any more; reload the page."), field="selected"
        )
    return found


def _bulk(album: str, action: str) -> Response | tuple[str, int]:
    found = albums.get_album(context.db_session(), album)
    after = _after()
    actor = current_actor()
    try:
        selected = _selected(found)
        if action == "credit":
            changed = editing.set_credit(
                context.db_session(), selected, request.form.get("bulk_credit", ""), actor=actor
            )
            message = (
                ngettext("Credit set on %(num)d photo.", "Credit set on %(num)d photos.", len(selected))
                + " "
                + ngettext("(%(num)d changed)", "(%(num)d changed)", changed)
            )
            flash(message, "success")
        elif action == "move":
            slug = (request.form.get("target") or "").strip()
            target = None
            if slug:
                target = context.db_session().scalar(select(Album).where(Album.slug == slug))
            if target is None or target.id == found.id:
                raise ValidationError(_("Choose another album to move the photos to."), field="target")
            result = editing.move_photos(context.db_session(), selected, target, actor=actor)
            flash(
                ngettext(
                    "Moved %(num)d photo to “%(title)s”.",
                    "Moved %(num)d photos to “%(title)s”.",
                    len(result.moved),
                    title=target.title,
                ),
                "success",
            )
            if result.duplicates:
                names = ", ".join(p.original_filename or str(p.id) for p in result.duplicates[:20])
                flash(
                    ngettext(
                        "Skipped %(num)d photo that “%(title)s” already has (the same file): %(names)s.",
                        "Skipped %(num)d photos that “%(title)s” already has (the same files): %(names)s.",
                        len(result.duplicates),
                        title=target.title,
                        names=names,
                    ),
                    "warning",
                )
        elif action == "delete":
            count = deletion.delete_photos(context.db_session(), selected, actor=actor)
            flash(
                ngettext(
                    "Deleted %(num)d photo. It stays in the album's bin for %(days)d days and can be restored there.",
                    "Deleted %(num)d photos. They stay in the album's bin for %(days)d days and can be restored there.",
                    count,
                    days=deletion.RETENTION.days,
                ),
                "success",
            )
        elif action in ("hide", "show"):
            change = hiding.hide_photos if action == "hide" else hiding.unhide_photos
            extra: dict[str, Any] = {"reason": HiddenReason.editor} if action == "hide" else {}
            changed_photos = change(
                context.db_session(), selected, actor=actor, storage=context.storage(), purge=cdn_purge(), **extra
            )
            done = (
                ngettext("Hid %(num)d photo from visitors.", "Hid %(num)d photos from visitors.", len(changed_photos))
                if action == "hide"
                else ngettext("%(num)d photo is shown again.", "%(num)d photos are shown again.", len(changed_photos))
            )
            flash(done, "success")
        elif action == "blur":
            settings = context.settings()
            blurred = blur.blur_found_faces(
                context.db_session(),
                selected,
                actor=actor,
                storage=context.storage(),
                sizes=settings.derivative_sizes,
                max_pixels=settings.max_pixels,
                purge=cdn_purge(),
            )
            flash(
                ngettext(
                    "Blurred the faces found in %(num)d photo; check it, and draw boxes on the others.",
                    "Blurred the faces found in %(num)d photos; check them, and draw boxes on the others.",
                    len(blurred),
                ),
                "success",
            )
        else:  # pragma: no cover - routes below pass fixed actions
            raise ValueError(action)
    except ValidationError as exc:
        context.db_session().rollback()
        found = albums.get_album(context.db_session(), album)
        return _render_grid(found, after=after, status=422, bulk_error=exc.message)
    context.db_session().commit()
    return redirect(_grid_url(found, after))


@bp.post("/albums/<album>/photos/credit")
@requires(Permission.caption_own)
def photos_credit(album: str) -> Response | tuple[str, int]:
    return _bulk(album, "credit")


@bp.post("/albums/<album>/photos/move")
@requires(Permission.edit_content)
def photos_move(album: str) -> Response | tuple[str, int]:
    return _bulk(album, "move")


@bp.post("/albums/<album>/photos/delete")
@requires(Permission.edit_content)
def photos_delete(album: str) -> Response | tuple[str, int]:
    return _bulk(album, "delete")


@bp.post("/albums/<album>/photos/hide")
@requires(Permission.edit_content)
def photos_hide(album: str) -> Response | tuple[str, int]:
    return _bulk(album, "hide")


@bp.post("/albums/<album>/photos/show")
@requires(Permission.edit_content)
def photos_show(album: str) -> Response | tuple[str, int]:
    """Show hidden photos again: also how photos waiting for review are released."""
    return _bulk(album, "show")


@bp.post("/albums/<album>/photos/blur")
@requires(Permission.edit_content)
def photos_blur(album: str) -> Response | tuple[str, int]:
    return _bulk(album, "blur")


# --- the bin ---------------------------------------------------------------------------------------


def _render_bin(album: Album, status: int = 200, error: str | None = None) -> tuple[str, int]:
    deleted = deletion.deleted_photos(context.db_session(), album)
    return (
        render_template(
            "manage/deleted.html",
            album=album,
            photos=deleted,
            thumbnail=thumbnail,
            purge_due=deletion.purge_due,
            days=deletion.RETENTION.days,
            error=error,
        ),
        status,
    )


@bp.get("/albums/<album>/deleted")
@requires(Permission.edit_content)
def album_deleted(album: str) -> tuple[str, int]:
    return _render_bin(albums.get_album(context.db_session(), album))


@bp.post("/albums/<album>/deleted/restore")
@requires(Permission.edit_content)
def album_restore(album: str) -> Response | tuple[str, int]:
    found = albums.get_album(context.db_session(), album)
    try:
        selected = _selected(found, deleted=True)
    except ValidationError as exc:
        return _render_bin(found, 422, exc.message)
    count = deletion.restore_photos(context.db_session(), selected, actor=current_actor())
    context.db_session().commit()
    flash(ngettext("Restored %(num)d photo.", "Restored %(num)d photos.", count), "success")
    return redirect(url_for("manage.album_deleted", album=found.slug))
