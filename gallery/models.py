"""SQLAlchemy 2 models.  The schema itself is owned by the Alembic migrations in
``gallery/migrations``; a test keeps the two in agreement."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from gallery.extensions import Base, db

if TYPE_CHECKING:
    import flask_sqlalchemy.model

    class Model(flask_sqlalchemy.model.Model, Base):
        """What ``db.Model`` is, for the type checker: Flask-SQLAlchemy builds it at run time from
        :class:`~gallery.extensions.Base`'s declarations and its own ``Model`` mixin."""

else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_media_version() -> str:
    """A fresh media version (``Photo.media_version``): 64 random bits in hex, so that no two photo
    rows -- not even two holding the same bytes in different albums -- ever share one."""
    return secrets.token_hex(8)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    Stored as naive UTC (SQLite has no time zones); always handed back aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def max_length(attribute: Any) -> int:
    """The most characters a text column takes: a String's length, or the limit a Text column
    declares in ``info={"max_length": N}`` (not enforced by the database; every input path checks
    it: the API schemas, the domain functions, the bag validator)."""
    column = attribute.property.columns[0] if hasattr(attribute, "property") else attribute
    length = getattr(column.type, "length", None) or column.info.get("max_length")
    if not isinstance(length, int):
        raise ValueError(f"the column {column} declares no length")
    return length


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    photographer = "photographer"


class Visibility(StrEnum):
    public = "public"
    unlisted = "unlisted"
    private = "private"


class SortMode(StrEnum):
    capture_time = "capture_time"
    manual = "manual"


class OriginalDownloads(StrEnum):
    off = "off"
    without_location = "without_location"
    exact = "exact"


class ReportStatus(StrEnum):
    draft = "draft"
    published = "published"


class PhotoStatus(StrEnum):
    processing = "processing"
    ready = "ready"
    failed = "failed"


class HiddenReason(StrEnum):
    """Why a photo is hidden from everyone without the ``edit_content`` permission."""

    takedown = "takedown"  # pending a takedown request
    editor = "editor"  # an editor's decision or hide
    review = "review"  # waiting for release under "publish only after review"


class TakenAtSource(StrEnum):
    exif_original = "exif_original"
    exif_digitized = "exif_digitized"
    exif_datetime = "exif_datetime"
    xmp = "xmp"
    upload = "upload"


def _enum(cls: type[enum.Enum], name: str) -> sa.Enum:
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class User(TimestampMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # the credit new uploads get; empty means the user's name (gallery.accounts.profile.default_credit)
    default_credit: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="", server_default="")
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    #: The raw id of the login session this object was loaded through (set by
    #: ``gallery.accounts.sessions``); never stored on the row.
    login_session_id = None  # type: str | None

    def get_id(self) -> str:
        """Flask-Login's id for the session and remember cookies: the login session's random id
        (Flask-Login's "alternative tokens"), so that ending the session ends both cookies."""
        if not self.login_session_id:
            raise RuntimeError("get_id() on a user that was not loaded through a login session")
        return self.login_session_id

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginSession(Model):
    """One login in one browser; its random id (stored here only as SHA-256) is in the session
    and remember-me cookies.  Logging out deletes the row, which ends both cookies."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    id_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    user: Mapped[User] = relationship()


class Event(TimestampMixin, Model):
    __tablename__ = "events"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    location: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 20_000})
    # "Publish only after review": new uploads stay hidden (HiddenReason.review) until released.
    review_uploads: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())

    albums: Mapped[list[Album]] = relationship(back_populates="event", order_by="Album.id")
    reports: Mapped[list[Report]] = relationship(back_populates="event", order_by="Report.id")


report_albums = sa.Table(
    "report_albums",
    db.metadata,
    sa.Column("report_id", sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("album_id", sa.ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)


class Report(TimestampMixin, Model):
    __tablename__ = "reports"
    __table_args__ = (sa.UniqueConstraint("event_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    language: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="en")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 200_000})
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), nullable=False, default=ReportStatus.draft
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The report this one translates (same event, other language): the original of its topic.
    translation_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id", ondelete="SET NULL"), index=True)

    event: Mapped[Event] = relationship(back_populates="reports")
    albums: Mapped[list[Album]] = relationship(secondary=report_albums, order_by=report_albums.c.position)
    original: Mapped[Report | None] = relationship(remote_side=[id], foreign_keys=[translation_of_id])


class Album(TimestampMixin, Model):
    __tablename__ = "albums"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 20_000})
    visibility: Mapped[Visibility] = mapped_column(
        _enum(Visibility, "album_visibility"), nullable=False, default=Visibility.public
    )
    share_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    cover_photo_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("photos.id", ondelete="SET NULL", use_alter=True, name="fk_albums_cover_photo_id_photos")
    )
    sort_mode: Mapped[SortMode] = mapped_column(
        _enum(SortMode, "album_sort_mode"), nullable=False, default=SortMode.capture_time
    )
    original_downloads: Mapped[OriginalDownloads] = mapped_column(
        _enum(OriginalDownloads, "album_original_downloads"), nullable=False, default=OriginalDownloads.off
    )
    # Whether uploads may be camera raw files (the original stays the raw file; web sizes via libraw).
    accepts_raw: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="albums")
    cover_photo: Mapped[Photo | None] = relationship(foreign_keys=[cover_photo_id], post_update=True)


class Photo(TimestampMixin, Model):
    __tablename__ = "photos"
    __table_args__ = (
        sa.UniqueConstraint("album_id", "sha256"),
        # With the state columns (PostgreSQL): counts in display order and covers read the index only (0014).
        sa.Index(
            "ix_photos_album_order",
            "album_id",
            "taken_at",
            "id",
            postgresql_include=["status", "deleted_at", "hidden_reason"],
        ),
        sa.Index("ix_photos_sha256", "sha256"),
        # Counting what an album lists reads this index only (migration 0011).
        sa.Index("ix_photos_album_state", "album_id", "status", "deleted_at", "hidden_reason", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    album_id: Mapped[int] = mapped_column(sa.ForeignKey("albums.id", ondelete="CASCADE"), nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    original_key: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    original_filename: Mapped[str] = mapped_column(sa.String(1024), nullable=False, default="")
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    width: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    height: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    # Capture time: UTC instant, the offset (minutes east of UTC) that applied
    # locally, where the value came from, and the value exactly as found.
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    taken_at_offset_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    taken_at_source: Mapped[TakenAtSource] = mapped_column(
        _enum(TakenAtSource, "photo_taken_at_source"), nullable=False, default=TakenAtSource.upload
    )
    taken_at_raw: Mapped[str | None] = mapped_column(sa.String(100))
    taken_at_flags: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    clock_offset_seconds: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    camera_make: Mapped[str | None] = mapped_column(sa.String(255))
    camera_model: Mapped[str | None] = mapped_column(sa.String(255))
    camera_serial: Mapped[str | None] = mapped_column(sa.String(255))
    lens: Mapped[str | None] = mapped_column(sa.String(255))
    focal_length_mm: Mapped[float | None] = mapped_column(sa.Float)
    aperture: Mapped[float | None] = mapped_column(sa.Float)
    exposure_time: Mapped[str | None] = mapped_column(sa.String(32))
    iso: Mapped[int | None] = mapped_column(sa.Integer)
    orientation: Mapped[int | None] = mapped_column(sa.SmallInteger)
    metadata_error: Mapped[str | None] = mapped_column(sa.Text)

    # Private: never serialised to visitors, embeds, feeds or ZIPs.
    gps_latitude: Mapped[float | None] = mapped_column(sa.Float)
    gps_longitude: Mapped[float | None] = mapped_column(sa.Float)
    gps_altitude: Mapped[float | None] = mapped_column(sa.Float)

    title: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    caption: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 10_000})
    alt_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", info={"max_length": 2_000})
    credit: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    copyright: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)

    status: Mapped[PhotoStatus] = mapped_column(
        _enum(PhotoStatus, "photo_status"), nullable=False, default=PhotoStatus.processing
    )
    # When the photo last entered `processing` (upload, re-queue): one that stays there longer
    # than `gallery verify --stuck-after` lost its derivative work (services/processing.py).
    processing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    # `ready` with its smallest web size while the larger ones are still being made (photos/process.py).
    sizes_pending: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    error: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int | None] = mapped_column(sa.Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Hidden from everyone without ``edit_content`` (catalog/visibility.py); None: not hidden.
    hidden_reason: Mapped[HiddenReason | None] = mapped_column(_enum(HiddenReason, "photo_hidden_reason"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Derivative keys are derivatives/<sha256>/<media_version>/<width>.<ext>; a new version on hide,
    # blur, restore and an album's change away from public retires the old URLs (photos/versions.py).
    media_version: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, default=new_media_version, server_default="0000000000000000"
    )
    # Blurred areas in fractions of the upright original ({"x", "y", "w", "h"}); None: not blurred.
    blur_boxes: Mapped[list[dict[str, float]] | None] = mapped_column(sa.JSON)

    album: Mapped[Album] = relationship(foreign_keys=[album_id])
    derivatives: Mapped[list[Derivative]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", order_by="(Derivative.format, Derivative.width)"
    )
    uploaded_by: Mapped[User | None] = relationship()


class Derivative(Model):
    __tablename__ = "derivatives"
    __table_args__ = (sa.UniqueConstraint("photo_id", "format", "width"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False, index=True)
    width: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    height: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    format: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    photo: Mapped[Photo] = relationship(back_populates="derivatives")


class AuditLog(Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    object_id: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()


class IdempotencyKey(Model):
    """A client's ``Idempotency-Key`` for an upload: a retry returns the same photo."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    album_id: Mapped[int] = mapped_column(sa.ForeignKey("albums.id", ondelete="CASCADE"), nullable=False)
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)


class ClockCorrection(Model):
    """A correction saying "this camera's clock was off by N seconds during this event": applied to
    the camera's photos in the event, now and when more of them are uploaded later."""

    __tablename__ = "clock_corrections"
    __table_args__ = (
        sa.UniqueConstraint(
            "event_id", "camera_make", "camera_model", "camera_serial", name="uq_clock_corrections_camera"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    camera_make: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    camera_model: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    # Empty: every body of this make and model.
    camera_serial: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    offset_seconds: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
