"""Gallery: an event photo gallery and media archive.

``gallery.create_app`` is the application factory (``gunicorn 'gallery:create_app()'``).  It is
imported on first use, so that importing a part that needs no Flask (``gallery.media``) stays
free of it."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from gallery.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
