"""The accounts domain's own table: one-time set-password links."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gallery.models import Model, User, UTCDateTime, utcnow


class PasswordLink(Model):
    """A one-time link to choose a password (``/account/set-password/<secret>``): for a new
    user ("invite") or a reset ("reset").  Only the secret's SHA-256 is stored; the link works
    once, until ``expires_at``, and a newer link, a password change or a deactivation ends it."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    purpose: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # "invite" | "reset"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
