"""Partial updates (gallery/core/changes.py): KEEP leaves a field as it is; apply_changes sets only
what differs and reports it as the audit log stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gallery.core.changes import KEEP, apply_changes, audit_value, kept
from gallery.models import Visibility


@dataclass
class Row:
    title: str
    starts_on: date
    visibility: Visibility


def test_kept() -> None:
    assert kept(KEEP, "current") == "current"
    assert kept("new", "current") == "new"
    assert kept(None, "current") is None  # None is a value (the domain decides what it means)


def test_apply_changes_sets_and_reports_only_differences() -> None:
    row = Row("Old", date(2024, 5, 7), Visibility.public)
    changes = apply_changes(row, {"title": "New", "starts_on": date(2024, 5, 7), "visibility": Visibility.private})
    assert changes == {"title": ["Old", "New"], "visibility": ["public", "private"]}
    assert row.title == "New" and row.visibility is Visibility.private


def test_audit_values_are_json_and_short() -> None:
    assert audit_value(date(2024, 5, 7)) == "2024-05-07"
    assert audit_value(Visibility.unlisted) == "unlisted"
    long = audit_value("x" * 1000)
    assert len(long) == 200 and long.endswith("…")
