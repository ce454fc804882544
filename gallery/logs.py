"""Logging set-up: the ``gallery`` loggers write to standard error at ``GALLERY_LOG_LEVEL``, as text
or, with ``GALLERY_LOG_FORMAT=json``, as one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Fields a record may carry through ``extra=`` that the JSON lines include when present.
JSON_FIELDS = ("request_id", "user_id", "method", "path", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the known extra
    fields (:data:`JSON_FIELDS`) and the formatted exception, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in JSON_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class _GalleryHandler(logging.StreamHandler[TextIO]):
    """Marks the handler this module installed, so a second app in the process adds no second one."""


def gallery_handler() -> logging.Handler | None:
    """The handler :func:`configure_logging` installed on the ``gallery`` logger, if any."""
    return next((h for h in logging.getLogger("gallery").handlers if isinstance(h, _GalleryHandler)), None)


def configure_logging(level: str, log_format: str = "text") -> None:
    """Send the ``gallery`` loggers to standard error at ``level``, as ``text`` or ``json`` (once per
    process; the level and the format follow the latest call)."""
    root = logging.getLogger("gallery")
    root.setLevel(level)
    handler = gallery_handler()
    if handler is None:
        handler = _GalleryHandler(sys.stderr)
        root.addHandler(handler)
        root.propagate = False
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
