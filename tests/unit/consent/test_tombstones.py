"""Tombstones (gallery/consent/tombstones.py): refuse, lay, lift."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.consent.tombstones import ImageErased, lay_tombstone, lift_tombstone, refuse_erased
from gallery.core.audit import SYSTEM
from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.models import AuditLog

SHA = "c" * 64


def test_a_tombstone_refuses_until_lifted(app: Flask) -> None:
    refuse_erased(db.session, SHA)  # nothing erased: no error
    lay_tombstone(db.session, SHA)
    lay_tombstone(db.session, SHA)  # twice is once
    db.session.commit()
    with pytest.raises(ImageErased) as refused:
        refuse_erased(db.session, SHA)
    assert refused.value.status == 409 and refused.value.code == "erased"
    lift_tombstone(db.session, SHA.upper(), actor=SYSTEM)
    refuse_erased(db.session, SHA)
    assert db.session.scalar(select(AuditLog.details).where(AuditLog.action == "tombstone.lift")) == {
        "via": "cli",
        "sha256": SHA,
    }
    for missing in (SHA, "not-a-hash", "x" * 500):
        with pytest.raises(NotFoundError):
            lift_tombstone(db.session, missing, actor=SYSTEM)
