"""Updates to a row: which fields a caller leaves as they are, and what changed for the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

AUDIT_VALUE_MAX = 200


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: A field's default in update functions: keep the current value (a partial update, e.g. PATCH).
KEEP: Final[Any] = _Keep()


def kept(value: object, current: object) -> object:
    """``current`` when the caller left the field alone (:data:`KEEP`), else ``value``."""
    return current if value is KEEP else value


def audit_value(value: Any) -> Any:
    """A value as the audit log stores it: JSON, long text shortened."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, str) and len(value) > AUDIT_VALUE_MAX:
        return value[: AUDIT_VALUE_MAX - 1] + "…"
    return value


def apply_changes(obj: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the attributes that differ; returns {field: [before, after]} for the audit log."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        before = getattr(obj, name)
        if before != value:
            changes[name] = [audit_value(before), audit_value(value)]
            setattr(obj, name, value)
    return changes
