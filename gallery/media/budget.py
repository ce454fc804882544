"""The process-wide decoding budget: how many megapixels may be decoded at the same time.

Decoding is where an image becomes big: a 445 KB PNG of 12000x12000 is 576 MB of pixels once
decoded (Pillow keeps RGB at 4 bytes per pixel).  Every decode in :mod:`gallery.media.images`
reserves its estimated cost here first and gives it back when the pixels are no longer needed,
so the pixels held by one process at any moment stay within the budget, however many requests,
import jobs or task threads decode at once.

* **Unit.**  The budget counts megapixels as Pillow holds full-colour pixels: 1 MP = 4 MB
  (:data:`BYTES_PER_MP`).  Callers turn their byte estimates into megapixels with
  :func:`megapixels`.  A reservation larger than the whole budget is cut to the budget: such a
  decode waits until nothing else is decoding and then runs alone.
* **Order.**  Waiters are served first come, first served, and a waiter that does not fit yet
  holds back the ones behind it (a big image is never starved by a stream of small ones).
  ``priority`` reservations (rendering the derivatives of a photo already accepted) go before
  ordinary ones (checking a new upload), so accepted work finishes before new work starts.
* **Wait limit.**  An ordinary reservation that cannot start within ``wait_seconds`` raises
  :class:`BudgetWaitExceeded` (the web layer answers 503 with ``Retry-After``: nothing was
  accepted yet).  Priority reservations wait as long as it takes: the photo is accepted and
  its work must be done, and going first they wait only for decodes already running.
  :func:`waiting_without_limit` lifts the limit for the current thread (the CLI import, which
  has nobody to answer "try later" to).
* **Memory back to the system.**  glibc raises its mmap threshold after the first large block is
  freed, after which image buffers come from the heap and stay with the process (RSS stayed at
  1.8 GB after a burst).  :func:`configure` fixes the threshold (``mallopt``), so large buffers
  are always mapped and unmapped when freed, and the budget calls ``malloc_trim(0)`` whenever it
  falls idle after large work, which returns what is left over in the heaps.  Both are skipped
  where the C library has no such functions (not glibc).

The budget is per process: with ``gunicorn -w N`` every worker has its own, so a machine must
have room for N budgets.  Only the standard library is imported.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import itertools
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "BYTES_PER_MP",
    "DEFAULT_BUDGET_MP",
    "DEFAULT_WAIT_SECONDS",
    "BudgetWaitExceeded",
    "DecodeBudget",
    "configure",
    "current",
    "megapixels",
    "waiting_without_limit",
]

#: One megapixel of budget: a million pixels at 4 bytes, as Pillow holds RGB and RGBA.
BYTES_PER_MP: Final[int] = 4_000_000
#: 150 MP is the default pixel limit, so one image at the limit always fits; 600 MB of pixels
#: plus the process itself keeps a server process under 1 GB.
DEFAULT_BUDGET_MP: Final[float] = 150.0
DEFAULT_WAIT_SECONDS: Final[float] = 30.0
#: Allocations from this size on are mapped and unmapped by glibc (see the module docstring).
MMAP_THRESHOLD_BYTES: Final[int] = 4 * 1024 * 1024
#: After work of at least this size the budget trims the heaps once it falls idle.
TRIM_AFTER_MP: Final[float] = 8.0

_M_TRIM_THRESHOLD: Final[int] = -1
_M_MMAP_THRESHOLD: Final[int] = -3


class BudgetWaitExceeded(Exception):
    """A decode could not start within the wait limit: the process is busy with other images."""

    def __init__(self, needed_mp: float, capacity_mp: float, waited: float, retry_after: int) -> None:
        self.needed_mp = needed_mp
        self.capacity_mp = capacity_mp
        self.waited = waited
        self.retry_after = retry_after
        super().__init__(
            f"decoding budget busy: {needed_mp:.1f} MP needed of {capacity_mp:g} MP, none free after {waited:.1f} s"
        )


def megapixels(nbytes: float) -> float:
    """Budget megapixels for ``nbytes`` of decoded image memory."""
    return max(0.0, nbytes) / BYTES_PER_MP


@dataclass(order=True)
class _Waiter:
    rank: tuple[int, int]
    charge: float = field(compare=False)


_no_wait_limit: contextvars.ContextVar[bool] = contextvars.ContextVar("gallery_decode_no_wait_limit", default=False)


@contextlib.contextmanager
def waiting_without_limit() -> Iterator[None]:
    """Reservations made by this thread (context) wait as long as it takes."""
    token = _no_wait_limit.set(True)
    try:
        yield
    finally:
        _no_wait_limit.reset(token)


class DecodeBudget:
    """Counts the megapixels being decoded in this process (thread-safe)."""

    def __init__(self, capacity_mp: float = DEFAULT_BUDGET_MP, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Waiter] = []
        self._tickets = itertools.count()
        self._in_use = 0.0
        self._large_work_since_trim = False
        self.capacity_mp = capacity_mp
        self.wait_seconds = wait_seconds
        self.configure(capacity_mp, wait_seconds)

    def configure(self, capacity_mp: float, wait_seconds: float) -> None:
        if not capacity_mp > 0:
            raise ValueError("the decoding budget must be a positive number of megapixels")
        if wait_seconds < 0:
            raise ValueError("the wait limit cannot be negative")
        with self._cond:
            self.capacity_mp = float(capacity_mp)
            self.wait_seconds = float(wait_seconds)
            self._cond.notify_all()

    @property
    def in_use_mp(self) -> float:
        with self._cond:
            return self._in_use

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)

    @property
    def retry_after(self) -> int:
        """Seconds a refused client should wait before trying again."""
        return min(60, max(1, math.ceil(self.wait_seconds)))

    @contextlib.contextmanager
    def reserve(self, megapixels: float, *, priority: bool = False) -> Iterator[float]:
        """Hold ``megapixels`` (cut to the capacity) of the budget for the ``with`` block.

        Waits for room (first come, first served; ``priority`` before the rest).  Ordinary
        reservations wait at most ``wait_seconds``, then raise :class:`BudgetWaitExceeded`;
        ``priority`` ones (and any inside :func:`waiting_without_limit`) wait as long as it
        takes.  Yields the charge."""
        charge = self._acquire(max(0.0, float(megapixels)), priority)
        try:
            yield charge
        finally:
            self._release(charge)

    def _acquire(self, wanted: float, priority: bool) -> float:
        started = time.monotonic()
        with self._cond:
            charge = min(wanted, self.capacity_mp)
            if not self._queue and self._in_use + charge <= self.capacity_mp:
                self._in_use += charge
                return charge
            me = _Waiter((0 if priority else 1, next(self._tickets)), charge)
            self._queue.append(me)
            self._queue.sort()
            try:
                while True:
                    charge = me.charge = min(wanted, self.capacity_mp)  # the capacity may change
                    if self._queue[0] is me and self._in_use + charge <= self.capacity_mp:
                        break
                    waited = time.monotonic() - started
                    if priority or _no_wait_limit.get():
                        self._cond.wait()
                        continue
                    if waited >= self.wait_seconds:
                        raise BudgetWaitExceeded(wanted, self.capacity_mp, waited, self.retry_after)
                    self._cond.wait(self.wait_seconds - waited)
            finally:
                self._queue.remove(me)
                self._cond.notify_all()  # the next in line may fit now
            self._in_use += charge
            return charge

    def _release(self, charge: float) -> None:
        with self._cond:
            self._in_use = max(0.0, self._in_use - charge)
            self._large_work_since_trim |= charge >= TRIM_AFTER_MP
            trim = self._large_work_since_trim and self._in_use == 0 and not self._queue
            if trim:
                self._large_work_since_trim = False
            self._cond.notify_all()
        if trim:
            _trim_heaps()


# --------------------------------------------------------------------------------------
# glibc: give freed memory back to the system


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - no C library to talk to
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


_LIBC = _libc()


def _map_large_buffers() -> None:
    """Large buffers mapped and unmapped on free instead of kept in the heap (glibc only)."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD_BYTES)


def _trim_heaps() -> None:
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# --------------------------------------------------------------------------------------
# The process's budget

_budget = DecodeBudget()


def current() -> DecodeBudget:
    """This process's budget (every decode in :mod:`gallery.media.images` reserves here)."""
    return _budget


def configure(capacity_mp: float, wait_seconds: float) -> DecodeBudget:
    """Set this process's budget and wait limit (at start-up; reservations held go on)."""
    _budget.configure(capacity_mp, wait_seconds)
    _map_large_buffers()
    return _budget
