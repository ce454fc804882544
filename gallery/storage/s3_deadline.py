"""How :class:`~gallery.storage.s3.S3Storage` keeps to the request's storage time budget
(:mod:`gallery.storage.deadline`), through botocore's event hooks:

* ``before-send`` (before every attempt, after botocore's pause between attempts): no attempt
  starts once the budget is spent, and an attempt's read timeout is cut to the time that is left;
* ``needs-retry`` (after a failed attempt, before botocore pauses): no retry when the time left
  could be gone before the pause is over; the call fails at once, naming the last error;
* every read of a response body checks the budget first and cuts the socket's timeout to what is
  left, so a body that stalls is bounded as well (:func:`body_chunks`, :func:`before_read`).

Without a budget (CLI commands, Celery tasks, the body of a streamed response) nothing changes.
A connection being opened is bounded by the connect timeout alone (botocore sets it per client),
so a call that starts connecting with less time left than that may end up to that much later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from gallery.storage import deadline
from gallery.storage.deadline import DeadlineExceeded

__all__ = ["attach", "before_read", "body_chunks", "explain"]

#: botocore's "standard" retry mode pauses up to ``min(2 ** (attempt - 1), 20)`` seconds
#: (random exponential backoff) before attempt ``attempt + 1``.
MAX_BACKOFF = 20.0
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


def attach(client: Any, *, read_timeout: float, max_attempts: int, where: Callable[[], str]) -> None:
    """Make ``client`` keep to the budget; ``where()`` names the store in messages."""
    events = client.meta.events
    events.register("before-send.s3", partial(_before_send, read_timeout=read_timeout, where=where))
    events.register("needs-retry.s3", partial(_needs_retry, max_attempts=max_attempts, where=where))


def _before_send(request: Any, *, read_timeout: float, where: Callable[[], str], **_: Any) -> None:
    left = deadline.check(f"reach {where()}")
    if left is not None:
        # botocore (>= 1.40) reads a per-request read timeout from the request context.
        request.context["read_timeout"] = min(read_timeout, left)


def _needs_retry(
    *,
    attempts: int,
    max_attempts: int,
    where: Callable[[], str],
    response: Any = None,
    caught_exception: BaseException | None = None,
    **_: Any,
) -> None:
    if attempts >= max_attempts or isinstance(caught_exception, DeadlineExceeded):
        return  # no retry anyway: botocore raises the last error as it is
    if caught_exception is not None:
        failure = str(caught_exception)
    else:
        status = (response[1] if response else {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status not in _RETRIED_STATUSES:
            return  # a success or a final answer (404, 403 ...): not a retry
        failure = f"HTTP {status}"
    left = deadline.remaining()
    if left is not None and left <= min(2.0 ** (attempts - 1), MAX_BACKOFF):
        raise DeadlineExceeded(
            f"cannot reach {where()}: {failure}; no time is left for another attempt within this "
            "request's storage time (GALLERY_S3_TOTAL_TIMEOUT)"
        ) from caught_exception


def _socket(body: Any) -> Any:
    """The socket a botocore StreamingBody reads from (``None`` once it has been released)."""
    raw = getattr(body, "_raw_stream", None)
    connection = getattr(raw, "connection", None)
    return getattr(connection, "sock", None)


def before_read(body: Any, *, read_timeout: float, where: Callable[[], str]) -> None:
    """Check the budget before reading from ``body``; cut the socket's timeout to what is left."""
    left = deadline.check(f"read from {where()}")
    if left is None:
        return
    sock = _socket(body)
    if sock is not None:
        sock.settimeout(min(read_timeout, left))


def body_chunks(body: Any, chunk_size: int, *, read_timeout: float, where: Callable[[], str]) -> Iterator[bytes]:
    """``body.iter_chunks(chunk_size)``, with :func:`before_read` before every read."""
    while True:
        before_read(body, read_timeout=read_timeout, where=where)
        chunk = body.read(chunk_size)
        if not chunk:
            return
        yield chunk


def explain(exc: BaseException, what: str, where: str) -> DeadlineExceeded | None:
    """A timeout that happened because the budget ran out, said as such (else ``None``)."""
    if not isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return None
    left = deadline.remaining()
    if left is None or left > 0.05:
        return None
    return DeadlineExceeded(
        f"cannot {what}: {where} did not answer before the storage time of this request ran out "
        "(GALLERY_S3_TOTAL_TIMEOUT); the store is too slow or does not answer"
    )
