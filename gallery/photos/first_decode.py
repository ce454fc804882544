"""The decoding an upload's check already made, kept for a moment, so that the photo's first web
size, made right after in the same process (in-process derivatives), does not decode the file again.

:func:`gallery.photos.ingest.inspect` decodes every JPEG at the smallest DCT scale to prove its data
complete; that picture (1/8 of each side: 750x500 for 24 MP) already serves the smallest web size,
which :func:`gallery.photos.process.publish_progressively` makes first.  At most :data:`MAX_KEPT`
pictures of at most :data:`MAX_PIXELS` each are kept (the oldest is closed when another comes); a
Celery worker, another process, never finds them and decodes the stored original as before."""

from __future__ import annotations

import threading
from collections import OrderedDict

from PIL import Image

MAX_KEPT = 4
MAX_PIXELS = 2_000_000

_kept: OrderedDict[str, Image.Image] = OrderedDict()
_lock = threading.Lock()


def keep(sha256: str, img: Image.Image) -> bool:
    """Keep the decoded ``img`` of the upload ``sha256``; False (not kept: the caller closes it)
    when it is larger than :data:`MAX_PIXELS`."""
    if img.width * img.height > MAX_PIXELS:
        return False
    dropped: list[Image.Image] = []
    with _lock:
        previous = _kept.pop(sha256, None)
        if previous is not None and previous is not img:
            dropped.append(previous)
        _kept[sha256] = img
        while len(_kept) > MAX_KEPT:
            dropped.append(_kept.popitem(last=False)[1])
    for old in dropped:
        old.close()
    return True


def take(sha256: str, *, long_edge: int) -> Image.Image | None:
    """The kept picture of ``sha256`` (no longer kept: the caller closes it) when its long edge
    reaches ``long_edge``; None otherwise."""
    with _lock:
        img = _kept.pop(sha256, None)
    if img is None:
        return None
    if max(img.size) < long_edge:
        img.close()
        return None
    return img


def clear() -> None:
    """Close and forget everything kept."""
    with _lock:
        kept = list(_kept.values())
        _kept.clear()
    for img in kept:
        img.close()
