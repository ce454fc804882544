"""A rendition made on request: oEmbed 1.0 forbids answering a photo larger than the
consumer's ``maxwidth``/``maxheight``, and when every stored size is larger, the photo is
rendered once at exactly that bound (through the same derivative code as every other size,
:func:`gallery.photos.process.render_and_store`) and the rows are kept, so the next request
for the same bound is answered from storage.  Derivatives stay disposable: ``gallery
reprocess`` drops these with the rest and a later request makes them again."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gallery.media.derivatives import fitted_box
from gallery.models import Derivative, Photo
from gallery.photos.process import Source, render_and_store
from gallery.storage import Storage

log = logging.getLogger("gallery.derivatives")

MIN_EDGE = 16  # smaller than this is no picture: such a bound is refused
MAX_EXTRA = 48  # renditions made on request per photo, beyond which the smallest fitting one is reused


def bounded_edge(width: int, height: int, maxwidth: int | None, maxheight: int | None) -> int | None:
    """The largest long edge at which a ``width`` x ``height`` photo fits the bound (never
    enlarged), or None when it would be under :data:`MIN_EDGE`."""
    long_edge = max(width, height)
    if maxwidth is not None:
        long_edge = min(long_edge, maxwidth if width >= height else maxwidth * height // width)
    if maxheight is not None:
        long_edge = min(long_edge, maxheight if height >= width else maxheight * width // height)
    while long_edge >= MIN_EDGE:
        w, h = fitted_box(width, height, long_edge)
        if (maxwidth is None or w <= maxwidth) and (maxheight is None or h <= maxheight):
            return long_edge
        long_edge -= 1
    return None


def _fitting_jpeg(session: Session, photo_id: int, maxwidth: int | None, maxheight: int | None) -> Derivative | None:
    query = select(Derivative).where(Derivative.photo_id == photo_id, Derivative.format == "jpeg")
    if maxwidth is not None:
        query = query.where(Derivative.width <= maxwidth)
    if maxheight is not None:
        query = query.where(Derivative.height <= maxheight)
    return session.scalars(query.order_by(Derivative.width.desc(), Derivative.height.desc()).limit(1)).first()


def bounded_rendition(
    session: Session,
    storage: Storage,
    photo: Photo,
    *,
    maxwidth: int | None,
    maxheight: int | None,
    max_pixels: int,
) -> Derivative | None:
    """The photo's JPEG at exactly the largest size within the bound, made and stored when it
    is not there yet; None when the bound is too small for a picture (or the photo has had
    :data:`MAX_EXTRA` renditions made on request and none of them fits)."""
    edge = bounded_edge(photo.width, photo.height, maxwidth, maxheight)
    if edge is None:
        return None
    width, height = fitted_box(photo.width, photo.height, edge)
    exact = _fitting_jpeg(session, photo.id, width, height)
    if exact is not None and exact.width == width:
        return exact
    count = session.scalar(
        select(func.count()).select_from(Derivative).where(Derivative.photo_id == photo.id, Derivative.format == "jpeg")
    )
    if int(count or 0) >= MAX_EXTRA:
        return exact  # the largest one made so far that fits (never larger than asked)
    source = Source.of(photo)
    session.rollback()  # nothing stays open while we render
    rows = render_and_store(storage, source, sizes=[edge], max_pixels=max_pixels)
    current = session.get(Photo, source.photo_id)
    if current is None or current.media_version != source.media_version:
        for row in rows:  # hidden, blurred or deleted meanwhile: what was just made is retired
            storage.delete(row.key)
        return None
    try:
        session.add_all(rows)
        session.commit()
    except IntegrityError:  # another request made the same size meanwhile: its rows stand
        session.rollback()
    log.info("photo %s: rendition %sx%s made for an oEmbed bound", source.photo_id, width, height)
    return _fitting_jpeg(session, source.photo_id, width, height)
