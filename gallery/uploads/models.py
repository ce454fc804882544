"""The uploads domain's table: one row per resumable upload, from creation until it is finished,
terminated or swept as expired."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gallery.models import Model, UTCDateTime, utcnow


class Upload(Model):
    """A resumable upload (tus), or a direct upload to S3 (``kind``: ``tus`` | ``direct``).

    ``key`` names it in its URL (``/api/v1/uploads/<key>``: random, never guessable) and its spool
    file.  ``offset`` is how many bytes the server holds for sure (committed after every PATCH,
    under the spool file's lock); the spool file may hold more only while a PATCH is running or
    after a process was killed, and the next PATCH cuts it back to ``offset``.  Once ``offset ==
    length`` the file goes through the one upload path: ``finished_at`` is set with the answer
    (``status_code`` and ``photo_id``, or ``error_code`` and ``error_message``) and the spool file
    is removed."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    album_id: Mapped[int] = mapped_column(sa.ForeignKey("albums.id", ondelete="CASCADE"), nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(1024), nullable=False, default="")
    # Upload-Metadata exactly as the client sent it (HEAD answers it back)
    metadata_header: Mapped[str] = mapped_column(sa.String(4096), nullable=False, default="")
    length: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    offset: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(sa.SmallInteger)
    photo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("photos.id", ondelete="SET NULL"))
    error_code: Mapped[str | None] = mapped_column(sa.String(64))
    error_message: Mapped[str | None] = mapped_column(sa.String(1000))
    # Direct uploads to S3 (kind "direct"): the sha256 the client announced, the staging object the
    # parts are assembled into, the store's multipart upload id and the part size it was given.
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="tus")
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    object_key: Mapped[str | None] = mapped_column(sa.String(512))
    multipart_id: Mapped[str | None] = mapped_column(sa.String(1024))
    part_size: Mapped[int | None] = mapped_column(sa.BigInteger)
