"""A time budget for the storage calls of one web request (``GALLERY_S3_TOTAL_TIMEOUT``).

A web request has to answer before the server gives up on it (gunicorn kills a worker whose request
runs past its ``timeout``), also when the object store accepts connections and never answers.
Connect and read timeouts bound one attempt only, and a call makes several attempts; so the app
gives every request a total budget (:func:`init_app`):

* the clock starts at the request's first storage call (receiving a slow upload does not count),
  and from then on every storage call of the request shares what is left;
* a store checks the budget before each attempt and each read of a response body (:func:`check`)
  and shortens its timeouts to what is left (:func:`remaining`); when nothing is left it raises
  :class:`DeadlineExceeded`, a :class:`~gallery.storage.base.StorageError`, which the web layer
  answers with 503 ``storage_unavailable``;
* the budget ends with the request: the body of a streamed response (an album ZIP) and work outside
  requests (CLI commands, Celery tasks) have each call's own timeouts and attempts only.

The budget is a :class:`contextvars.ContextVar`, so it is per thread (and per task where that
applies).  Only the standard library is imported here.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from gallery.storage.base import StorageError

__all__ = ["DeadlineExceeded", "check", "init_app", "remaining", "start", "stop"]


class DeadlineExceeded(StorageError):
    """The storage time budget of this request is spent."""


@dataclass
class _Budget:
    seconds: float
    ends: float | None = None  # time.monotonic(); set by the first storage call


_budget: ContextVar[_Budget | None] = ContextVar("gallery_storage_budget", default=None)


def start(seconds: float) -> None:
    """Give the current request ``seconds`` for its storage calls (counted from the first)."""
    _budget.set(_Budget(seconds))


def stop() -> None:
    """No budget any more (the request is over)."""
    _budget.set(None)


def remaining() -> float | None:
    """Seconds left in the current budget (starting its clock), or ``None`` without a budget."""
    budget = _budget.get()
    if budget is None:
        return None
    now = time.monotonic()
    if budget.ends is None:
        budget.ends = now + budget.seconds
    return budget.ends - now


def check(what: str) -> float | None:
    """Like :func:`remaining`, but raise :class:`DeadlineExceeded` (naming ``what`` could not be
    done, e.g. "reach s3://bucket at http://...") when the budget is spent."""
    left = remaining()
    if left is not None and left <= 0:
        budget = _budget.get()
        seconds = budget.seconds if budget is not None else 0.0
        raise DeadlineExceeded(
            f"cannot {what}: the storage time of this request is spent ({seconds:g} s, "
            "GALLERY_S3_TOTAL_TIMEOUT); the store is too slow or does not answer"
        )
    return left


def init_app(app: Any, seconds: float) -> None:
    """Give every request of the Flask ``app`` a budget of ``seconds``."""

    def _start() -> None:
        start(seconds)

    def _stop(_exc: BaseException | None) -> None:
        stop()

    app.before_request(_start)
    app.teardown_request(_stop)
