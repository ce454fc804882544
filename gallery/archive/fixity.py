"""The nightly fixity audit: a rolling sample of the originals is re-hashed every night so that
every original is checked at least once per cycle (``GALLERY_FIXITY_CYCLE_DAYS``, default 90).

Each run takes the photos verified longest ago (never verified first) — ``gallery verify
--sample`` does the same by hand — as many as the cycle needs: ``ceil(photos / (cycle - 1))``,
one day of slack so that a night missed or a catalogue that grew does not push anyone past the
cycle.  A photo whose original is missing or changed keeps its old ``last_verified_at`` and is
therefore taken again the next night until someone acts.  Each run leaves one audit entry
(``fixity.audit``, with the problems) and counts in the metrics."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gallery.archive.verify import VerifyReport, verification_targets, verify_archive
from gallery.core import audit, metrics
from gallery.models import Photo
from gallery.storage import Storage

log = logging.getLogger("gallery.fixity")

#: Problems listed in one audit entry (the rest are counted).
LISTED_PROBLEMS = 50


@dataclass(frozen=True)
class FixityRun:
    sample: int  # photos asked for
    report: VerifyReport
    seconds: float

    def summary(self) -> str:
        r = self.report
        return (
            f"fixity audit: {r.photos_checked} photos ({r.objects_checked} originals, {r.bytes_read} bytes) "
            f"in {self.seconds:.1f} s, {r.verified} verified, {len(r.problems)} problems"
        )


def nightly_sample_size(photos: int, cycle_days: int) -> int:
    """How many photos one night checks so that each is checked within ``cycle_days``."""
    if photos <= 0:
        return 0
    return math.ceil(photos / max(1, cycle_days - 1))


def run_fixity_audit(session: Session, storage: Storage, *, cycle_days: int) -> FixityRun:
    """Check tonight's share of the originals; record the result in the audit log and metrics."""
    started = time.monotonic()
    total = session.scalar(select(func.count()).select_from(Photo)) or 0
    sample = nightly_sample_size(total, cycle_days)
    if sample:
        targets = verification_targets(session, sample=sample)
        report = verify_archive(session, storage, targets, check_untracked=False)
    else:
        report = VerifyReport()
    run = FixityRun(sample=sample, report=report, seconds=time.monotonic() - started)
    problems = report.problems
    audit.record(
        session,
        "fixity.audit",
        actor=audit.Actor(user=None, via="beat"),
        details={
            "sample": sample,
            "photos_checked": report.photos_checked,
            "originals_checked": report.objects_checked,
            "bytes_read": report.bytes_read,
            "verified": report.verified,
            "problems": len(problems),
            "listed": [p.describe() for p in problems[:LISTED_PROBLEMS]],
            "cycle_days": cycle_days,
            "seconds": round(run.seconds, 3),
        },
    )
    session.commit()
    metrics.observe_fixity(
        checked=report.photos_checked,
        problems={kind: sum(1 for p in problems if p.kind == kind) for kind in ("missing", "changed")},
    )
    (log.error if problems else log.info)("%s", run.summary())
    return run
