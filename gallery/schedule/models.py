"""The event programme's table: one row per session (talk, panel, workshop) of an event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gallery.models import Event, Model, UTCDateTime, utcnow


class EventSession(Model):
    """A session of an event's programme.

    ``starts_at`` and ``ends_at`` are instants (aware UTC); pages tell them in the event's zone.
    ``slug`` (from the title) is unique within the event and names the session page
    ``/events/<event>/sessions/<slug>``.  ``uid`` is the iCalendar UID the session was imported
    from (None for a session typed in by hand): re-importing the same file updates by it.
    ``speakers`` is a list of names, in the order the file gave them."""

    __tablename__ = "event_sessions"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "slug", name="uq_event_sessions_slug"),
        sa.UniqueConstraint("event_id", "uid", name="uq_event_sessions_uid"),
        sa.CheckConstraint("starts_at <= ends_at", name="span_ordered"),
        sa.Index("ix_event_sessions_event_id_starts_at", "event_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    room: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    speakers: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 20_000})
    uid: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    event: Mapped[Event] = relationship()

    def __repr__(self) -> str:
        return f"<EventSession {self.id} {self.slug!r} {self.starts_at:%Y-%m-%d %H:%M}>"
