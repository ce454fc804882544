"""Keyset pages: one page of a list and an opaque cursor for the next one.

A list sorts on columns that end in the primary key, so a page ends exactly where the next
begins: no gaps and no repeats while rows are added or removed between requests.  A cursor
is the sort key of a page's last row (URL-safe base64 of JSON), tagged with the list's name so
that the cursor of one list is refused by another."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from gallery.core.errors import BadCursor, ValidationError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 400


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None  # the cursor of the next page; None on the last page


@dataclass(frozen=True)
class SortKey:
    """One column of a list's order: an ORM attribute, or a labelled expression (a query's
    computed column, such as a search's relevance), that is never NULL."""

    column: InstrumentedAttribute[Any] | ColumnElement[Any]
    descending: bool = False

    @property
    def name(self) -> str:
        """The column's name in a result row."""
        name = self.column.key
        if name is None:
            raise ValueError("a sort expression needs a label")
        return name

    def order(self) -> ColumnElement[Any]:
        return self.column.desc() if self.descending else self.column.asc()

    def past(self, value: Any) -> ColumnElement[bool]:
        step: ColumnElement[bool] = self.column < value if self.descending else self.column > value
        return step


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return limit


def keyset_page(
    session: Session, query: Select[Any], order: Sequence[SortKey], *, name: str, cursor: str | None, limit: int
) -> Page[Any]:
    """Up to ``limit`` rows of ``query`` in ``order``, after the row ``cursor`` points at."""
    check_limit(limit)
    if cursor:
        key = decode_cursor(name, cursor, order)
        query = query.where(_after(order, key))
    rows: list[Any] = list(session.scalars(query.order_by(*(k.order() for k in order)).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(items=rows, next=None)
    rows = rows[:limit]
    return Page(items=rows, next=encode_cursor(name, [getattr(rows[-1], k.name) for k in order]))


def keyset_rows(
    session: Session, query: Select[Any], order: Sequence[SortKey], *, name: str, cursor: str | None, limit: int
) -> Page[Any]:
    """As :func:`keyset_page`, for a query of several columns: the items are rows, and each
    sort key is read from the row by its column's name (label computed columns)."""
    check_limit(limit)
    if cursor:
        key = decode_cursor(name, cursor, order)
        query = query.where(_after(order, key))
    rows: list[Any] = list(session.execute(query.order_by(*(k.order() for k in order)).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(items=rows, next=None)
    rows = rows[:limit]
    last = rows[-1]._mapping
    return Page(items=rows, next=encode_cursor(name, [last[k.name] for k in order]))


def _after(order: Sequence[SortKey], key: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that come after ``key`` in ``order`` (any mix of ascending and descending columns)."""
    clauses = []
    for i, sort in enumerate(order):
        equal = [order[j].column == key[j] for j in range(i)]
        clauses.append(and_(*equal, sort.past(key[i])))
    return or_(*clauses)


def _encoded(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def encode_cursor(name: str, values: Sequence[Any]) -> str:
    encoded = [_encoded(v) for v in values]
    raw = json.dumps([name, *encoded], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(name: str, token: str, order: Sequence[SortKey]) -> tuple[Any, ...]:
    """The sort key a cursor of the list ``name`` holds; :class:`BadCursor` (400) for anything else."""
    problem = BadCursor("this cursor is broken or belongs to another list; start again without it", field="cursor")
    if len(token) > MAX_CURSOR_LENGTH:
        raise problem
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise problem from None
    if not isinstance(data, list) or len(data) != len(order) + 1 or data[0] != name:
        raise problem
    key = []
    for sort, value in zip(order, data[1:], strict=True):
        parsed = _column_value(sort.column, value)
        if parsed is None:
            raise problem
        key.append(parsed)
    return tuple(key)


def _column_value(column: InstrumentedAttribute[Any] | ColumnElement[Any], value: Any) -> Any:
    """``value`` as a value of ``column``'s type, or None when it cannot be one."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.DateTime):
        if not isinstance(value, dict) or not isinstance(value.get("t"), str):
            return None
        try:
            when = datetime.fromisoformat(value["t"])
        except ValueError:
            return None
        return when if when.tzinfo is not None else None
    if isinstance(kind, sa.Float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return float(value) if ok else None
    if isinstance(kind, sa.Date):
        if not isinstance(value, dict) or not isinstance(value.get("d"), str):
            return None
        try:
            return date.fromisoformat(value["d"])
        except ValueError:
            return None
    if isinstance(kind, sa.Integer):
        bits = 63 if isinstance(kind, sa.BigInteger) else 31
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**bits) <= value < 2**bits
        return value if ok else None
    if isinstance(kind, sa.String):
        length = kind.length
        ok = isinstance(value, str) and (length is None or len(value) <= length)
        return value if ok else None
    return None
