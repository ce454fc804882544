"""The nightly fixity audit (gallery/archive/fixity.py): the rolling sample covers every original within the
cycle, problems stay in the sample until fixed, and each run leaves an audit entry and metrics."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from gallery.archive.fixity import nightly_sample_size, run_fixity_audit
from gallery.core import metrics
from gallery.extensions import db
from gallery.models import AuditLog, Photo
from tests.archive.conftest import add_photo, jpeg, storage_of


@pytest.mark.parametrize(
    ("photos", "cycle", "expected"), [(0, 90, 0), (1, 90, 1), (89, 90, 1), (90, 90, 2), (1_000_000, 90, 11_236)]
)
def test_nightly_sample_size(photos: int, cycle: int, expected: int) -> None:
    assert nightly_sample_size(photos, cycle) == expected


@pytest.mark.parametrize("photos", [1, 7, 100, 1_000_000])
def test_every_photo_is_reached_within_the_cycle(photos: int) -> None:
    """Oldest first, ``nightly_sample_size`` a night: the whole catalogue is covered in fewer nights
    than the cycle has days (one to spare)."""
    cycle = 90
    assert math.ceil(photos / nightly_sample_size(photos, cycle)) <= cycle - 1


def _checked() -> float:
    return metrics.FIXITY_CHECKED._value.get()  # type: ignore[attr-defined]


def test_a_night_checks_its_share_oldest_first_and_records_it(app, client, tokens, album):
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(i), f"p{i}.jpg") for i in range(5)]
    storage = storage_of(app)
    checked_before = _checked()
    # a 3-day cycle: ceil(5 / 2) = 3 photos a night
    first = run_fixity_audit(db.session, storage, cycle_days=3)
    assert (first.sample, first.report.photos_checked, first.report.verified) == (3, 3, 3)
    second = run_fixity_audit(db.session, storage, cycle_days=3)
    assert second.report.photos_checked == 3
    verified = dict(db.session.execute(select(Photo.id, Photo.last_verified_at)).all())
    assert all(verified[i] is not None for i in ids)  # two nights reached all five
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "fixity.audit")).all()
    assert len(entries) == 2
    assert entries[0].details["verified"] == 3 and entries[0].details["problems"] == 0
    assert entries[0].details["via"] == "beat"
    assert _checked() == checked_before + 6


def test_a_missing_original_is_reported_and_taken_again_next_night(app, client, tokens, album):
    ids = [add_photo(client, tokens["editor"], album.slug, jpeg(i), f"p{i}.jpg") for i in range(2)]
    storage = storage_of(app)
    problems_before = metrics.FIXITY_PROBLEMS.labels(kind="missing")._value.get()  # type: ignore[attr-defined]
    gone = db.session.get(Photo, ids[0])
    assert gone is not None
    storage.delete(gone.original_key)
    run = run_fixity_audit(db.session, storage, cycle_days=2)  # 2 photos a night
    assert [p.kind for p in run.report.problems] == ["missing"]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "fixity.audit")).one()
    assert entry.details["problems"] == 1 and "MISSING" in entry.details["listed"][0].upper()
    # the good one is now the most recently verified; the missing one stays first in line
    again = run_fixity_audit(db.session, storage, cycle_days=1000)  # 1 photo a night
    assert [p.photo_id for p in again.report.problems] == [ids[0]]
    assert metrics.FIXITY_PROBLEMS.labels(kind="missing")._value.get() == problems_before + 2  # type: ignore[attr-defined]


def test_an_empty_catalogue_still_records_a_run(app):
    from gallery.http import context

    run = run_fixity_audit(db.session, context.storage(), cycle_days=90)
    assert run.sample == 0 and run.report.photos_checked == 0
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "fixity.audit")).one()
