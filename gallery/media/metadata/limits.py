"""The reading budget: metadata parsers are stopped deterministically on hostile files.

exifread is known to loop on some hostile structures.  The file object it gets is wrapped in a
:class:`BudgetedReader` that raises :class:`ReadBudgetExceeded` after a number of calls or bytes
(so the outcome does not depend on the machine's speed), or after a deadline.
"""

from __future__ import annotations

import io
import time
from typing import IO, Any

__all__ = ["BudgetedReader", "ReadBudget", "ReadBudgetExceeded"]


class ReadBudgetExceeded(Exception):
    """Raised inside a parser when the reader's budget is spent."""


class ReadBudget:
    """At most ``max_calls`` reads/seeks/tells and ``max_bytes`` bytes, until ``deadline``."""

    def __init__(self, deadline: float, max_calls: int, max_bytes: int) -> None:
        self.deadline = deadline
        self.max_calls = max_calls
        self.max_bytes = max_bytes
        self.calls = 0
        self.bytes = 0

    def charge(self, nbytes: int = 0) -> None:
        self.calls += 1
        self.bytes += nbytes
        if self.calls > self.max_calls:
            raise ReadBudgetExceeded(f"more than {self.max_calls} reads")
        if self.bytes > self.max_bytes:
            raise ReadBudgetExceeded(f"more than {self.max_bytes} bytes read")
        if (self.calls & 63 == 0 or nbytes > 65536) and time.monotonic() > self.deadline:
            raise ReadBudgetExceeded("time budget exceeded")

    def remaining_bytes(self) -> int:
        return max(0, self.max_bytes - self.bytes)


class BudgetedReader(io.RawIOBase):
    """A read-only file wrapper that raises :class:`ReadBudgetExceeded` when over budget."""

    def __init__(self, raw: IO[bytes], budget: ReadBudget) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        cap = self._budget.remaining_bytes() + 1
        want = cap if size is None or size < 0 else min(size, cap)
        data = self._raw.read(want)
        self._budget.charge(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = 1 << 16 if size is None or size < 0 else size
        out = bytearray()
        while len(out) < limit:
            chunk = self.read(1)
            if not chunk:
                break
            out += chunk
            if chunk == b"\n":
                break
        return bytes(out)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._budget.charge()
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        self._budget.charge()
        return self._raw.tell()
