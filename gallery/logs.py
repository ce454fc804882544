"""Logging set-up: the ``gallery`` loggers write to standard error at ``GALLERY_LOG_LEVEL``."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _GalleryHandler(logging.StreamHandler[TextIO]):
    """Marks the handler this module installed, so a second app in the process adds no second one."""


def configure_logging(level: str) -> None:
    """Send the ``gallery`` loggers to standard error at ``level`` (once per process; the level
    follows the latest call)."""
    root = logging.getLogger("gallery")
    root.setLevel(level)
    if not any(isinstance(h, _GalleryHandler) for h in root.handlers):
        handler = _GalleryHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        root.propagate = False
