"""The consent domain's tables: takedown requests and tombstones of erased images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gallery.models import Model, Photo, StrEnum, User, UTCDateTime, _enum, utcnow


class TakedownAction(StrEnum):
    """What the requester asks for."""

    hide = "hide"
    blur = "blur"
    erase = "erase"
    other = "other"  # copyright, wrong caption: never hides by itself


class TakedownStatus(StrEnum):
    open = "open"
    decided = "decided"


class Decision(StrEnum):
    """What an editor decides."""

    restore = "restore"  # request rejected, photo back
    blur = "blur"  # the requested or edited boxes blurred
    hide = "hide"  # permanently unpublished, original kept
    erase = "erase"  # every row with the sha256 and every stored object gone; a tombstone stays


class TakedownRequest(Model):
    """One request about one photo.  ``boxes`` are fractions ``{x, y, w, h}`` of the photo as
    displayed (after EXIF rotation); ``history`` is the list of steps, oldest first
    (``{"at", "step", "by", ...}``), also in the audit log.  The requester's ``email`` is cleared
    30 days after the decision (``gallery gc``)."""

    __tablename__ = "takedown_requests"
    __table_args__ = (sa.Index("ix_takedown_requests_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: an erased photo's rows are deleted; the request remains, with the hash.
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("photos.id", ondelete="SET NULL"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    action: Mapped[TakedownAction] = mapped_column(_enum(TakedownAction, "takedown_action"), nullable=False)
    status: Mapped[TakedownStatus] = mapped_column(
        _enum(TakedownStatus, "takedown_status"), nullable=False, default=TakedownStatus.open
    )
    boxes: Mapped[list[dict[str, float]]] = mapped_column(sa.JSON, nullable=False, default=list)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 2_000})
    email: Mapped[str | None] = mapped_column(sa.String(320))
    # Whether the request hid the photo when it came in (False: queued only).
    autohidden: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision, "takedown_decision"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    history: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False, default=list)

    photo: Mapped[Photo | None] = relationship()
    decided_by: Mapped[User | None] = relationship()


class Tombstone(Model):
    """An erased image: only its SHA-256 (and when), so the same bytes are refused anywhere."""

    __tablename__ = "tombstones"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
