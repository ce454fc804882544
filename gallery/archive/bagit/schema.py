"""The schema of ``data/metadata.json``: one declaration per object, each field derived from its column.

A field's JSON type, whether it may be null, its maximum length, its integer range and its
allowed values (enums) are read from the SQLAlchemy column it is stored in
(:mod:`gallery.models`) by :func:`column_field`, so the bag validator cannot drift from the
model.  Only what no column says is written here: the fields that are not columns (a photo's
``path`` in the bag, the album's ``cover``, the nested ``camera`` and ``private`` objects) and
the bag's own rules (sizes positive, SHA-256 as hex digits, dates and times in ISO 8601).

Format 1 grows only by *optional* fields (``Field.optional``): a bag written before they existed
lacks them and imports with the column's default, and an older reader ignores them as it ignores
every key it does not know (``docs/bagit.md``).

The same declaration turns rows into ``metadata.json`` objects (:func:`dump`) and validated
objects back into column values (:func:`load`), so writing, checking and reading a bag cannot
disagree either.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from gallery.archive.bagit.format import (
    BAG_FORMAT,
    BAG_FORMAT_VERSION,
    InvalidBag,
    iso_utc,
)
from gallery.media.blur import BoxError, parse_boxes
from gallery.models import Album, Event, Model, Photo

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
#: Integer column types and their bit widths, narrowest first (SmallInteger and BigInteger are Integers).
_INT_BITS: tuple[tuple[type[sa.Integer], int], ...] = ((sa.SmallInteger, 16), (sa.BigInteger, 64), (sa.Integer, 32))


class Format(enum.Enum):
    """How a string field is read beyond its type."""

    date = "date"  # 2024-05-07
    datetime = "datetime"  # ISO 8601 with a UTC offset
    sha256 = "sha256"  # 64 lower-case hex digits


@dataclass(frozen=True)
class Field:
    """One key of a ``metadata.json`` object and what its value must be."""

    name: str
    types: tuple[type, ...]
    nullable: bool
    attribute: str | None = None  # the model attribute it is stored in; None: not a column
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    enum_class: type[enum.Enum] | None = None
    minimum: int | None = None
    maximum: int | None = None
    items: type | None = None  # for lists: the type of every item
    format: Format | None = None
    nested: tuple[Field, ...] = ()  # for objects: their fields
    optional: bool = False  # added to format 1 later: an older bag may lack it (read as null)

    def describe_type(self) -> str:
        return " or ".join(t.__name__ for t in self.types) + (" or null" if self.nullable else "")


def column_field(column: sa.Column[Any], name: str | None = None, **overrides: Any) -> Field:
    """The :class:`Field` a column implies: JSON type, nullability, length, integer range, enum
    values; ``overrides`` add what the column cannot say (e.g. ``minimum=1``, ``items=str``)."""
    type_ = column.type
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    spec: dict[str, Any] = {}
    if isinstance(type_, sa.Enum):  # before String: an Enum is a String
        enum_class = type_.enum_class
        spec = {"types": (str,), "choices": tuple(type_.enums), "enum_class": enum_class}
    elif isinstance(type_, sa.String):  # Text too: its limit is declared in info={"max_length": N}
        spec = {"types": (str,), "max_length": type_.length or column.info.get("max_length")}
    elif isinstance(type_, sa.Integer):
        bits = next(b for cls, b in _INT_BITS if isinstance(type_, cls))
        spec = {"types": (int,), "minimum": -(2 ** (bits - 1)), "maximum": 2 ** (bits - 1) - 1}
    elif isinstance(type_, sa.Float):
        spec = {"types": (int, float)}
    elif isinstance(type_, sa.DateTime):
        spec = {"types": (str,), "format": Format.datetime}
    elif isinstance(type_, sa.Date):
        spec = {"types": (str,), "format": Format.date}
    elif "types" not in overrides:
        raise TypeError(f"column {column.name} of type {column.type!r}: give its JSON type")
    spec.update(overrides)
    return Field(name=name or column.name, nullable=bool(column.nullable), attribute=column.key, **spec)


def _table(model: type[Model]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)  # a declarative model's table, not another FROM clause
    return table


def _columns(model: type[Model], *names: str) -> tuple[Field, ...]:
    table = _table(model)
    return tuple(column_field(table.c[name]) for name in names)


_photo = _table(Photo).c

EVENT: tuple[Field, ...] = _columns(
    Event, "slug", "title", "starts_on", "ends_on", "timezone", "location", "description"
)
ALBUM: tuple[Field, ...] = (
    *_columns(Album, "slug", "title", "description", "visibility", "sort_mode", "original_downloads"),
    Field("cover", (str,), nullable=True),  # the bag path of the cover photo
)
CAMERA: tuple[Field, ...] = (
    column_field(_photo.camera_make, "make"),
    column_field(_photo.camera_model, "model"),
    column_field(_photo.camera_serial, "serial"),
    *(column_field(_photo[name]) for name in ("lens", "focal_length_mm", "aperture", "exposure_time", "iso")),
)
#: Location: never shown to visitors; kept in the bag so that a move loses nothing.
PRIVATE: tuple[Field, ...] = tuple(column_field(_photo[n]) for n in ("gps_latitude", "gps_longitude", "gps_altitude"))
PHOTO: tuple[Field, ...] = (
    Field("path", (str,), nullable=False),  # under data/ in the bag
    column_field(_photo.sha256, format=Format.sha256),
    column_field(_photo.size, minimum=1),
    column_field(_photo.content_type),
    column_field(_photo.original_filename),
    column_field(_photo.width, minimum=1),
    column_field(_photo.height, minimum=1),
    *_columns(Photo, "orientation", "taken_at", "taken_at_offset_minutes", "taken_at_source", "taken_at_raw"),
    *_columns(Photo, "taken_at_flags", "clock_offset_seconds"),
    Field("camera", (dict,), nullable=False, nested=CAMERA),
    *_columns(Photo, "metadata_error", "title", "caption", "alt_text", "credit", "copyright"),
    column_field(_photo.keywords, types=(list,), items=str),
    column_field(_photo.position),
    Field("private", (dict,), nullable=False, nested=PRIVATE),
    # Consent state (optional: absent from bags written before it): a hidden photo travels hidden
    # (pending takedown, an editor's decision, waiting for review), a blurred one blurred.
    column_field(_photo.hidden_reason, optional=True),
    column_field(_photo.hidden_at, optional=True),
    column_field(_photo.blur_boxes, types=(list,), items=dict, optional=True),  # media.blur.parse_boxes
)

#: Photo columns deliberately not in the bag: ids and what belongs to one installation (they go to
#: gallery-instance.json), and what is rebuilt on import (the storage key, processing state, the
#: media version of the derivative keys).
PHOTO_COLUMNS_LEFT_OUT = frozenset(
    {
        "id",
        "album_id",
        "original_key",
        "status",
        "processing_since",
        "sizes_pending",  # processing state: the import renders every size again
        "error",
        "uploaded_by_id",
        "deleted_at",
        "last_verified_at",
        "created_at",
        "updated_at",
        "media_version",  # a storage detail (the installation's derivative keys); an import gets new ones
    }
)


# --- rows <-> JSON ------------------------------------------------------------------------------


def _dump_value(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.format is Format.datetime:
        return iso_utc(value)
    if field.format is Format.date:
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if field.items is not None:
        return list(value)
    return value


def _load_value(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.format is Format.datetime:
        return datetime.fromisoformat(value).astimezone(UTC)
    if field.format is Format.date:
        return date.fromisoformat(value)
    if field.enum_class is not None:
        return field.enum_class(value)
    if field.items is not None:
        return list(value)
    return value


def dump(fields: tuple[Field, ...], row: Any, **extra: Any) -> dict[str, Any]:
    """The JSON object for ``row`` (a model instance); ``extra`` gives the fields that are not columns."""
    document: dict[str, Any] = {}
    for field in fields:
        if field.nested:
            document[field.name] = dump(field.nested, row)
        elif field.attribute is None:
            document[field.name] = extra[field.name]
        else:
            document[field.name] = _dump_value(field, getattr(row, field.attribute))
    return document


def load(fields: tuple[Field, ...], document: dict[str, Any]) -> dict[str, Any]:
    """Column values (by model attribute) from a validated JSON object: the inverse of :func:`dump`."""
    values: dict[str, Any] = {}
    for field in fields:
        if field.nested:
            values.update(load(field.nested, document[field.name]))
        elif field.attribute is not None:
            values[field.attribute] = _load_value(field, document.get(field.name))  # optional: None
    return values


# --- validation ---------------------------------------------------------------------------------


def _fail(where: str, problem: str) -> InvalidBag:
    return InvalidBag(f"metadata.json: {where} {problem}")


def _check_string(field: Field, value: str, where: str) -> None:
    if "\x00" in value:
        raise _fail(where, "contains a NUL character")
    if field.max_length is not None and len(value) > field.max_length:
        raise _fail(where, f"is longer than {field.max_length} characters")
    if field.choices and value not in field.choices:
        raise _fail(where, f"{value!r} is not one of {', '.join(field.choices)}")
    if field.format is Format.sha256 and not _SHA256_RE.fullmatch(value):
        raise _fail(where, "is not 64 lower-case hex digits")
    if field.format is Format.date:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _fail(where, f"{value!r} is not a date") from None
    if field.format is Format.datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(where, "is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise _fail(where, "has no UTC offset")


def check_value(field: Field, value: Any, where: str) -> None:
    """Raise :class:`InvalidBag` unless ``value`` is what ``field`` declares (``where`` names it)."""
    if value is None and field.nullable:
        return
    if isinstance(value, bool) or not isinstance(value, field.types):
        raise _fail(where, f"must be {field.describe_type()}")
    if isinstance(value, str):
        _check_string(field, value, where)
    elif isinstance(value, int):
        low = -(2**62) if field.minimum is None else field.minimum
        high = 2**62 if field.maximum is None else field.maximum
        if not low <= value <= high:
            raise _fail(where, "must be positive" if field.minimum == 1 and value < 1 else "is out of range")
    elif isinstance(value, list) and field.items is not None:
        if not all(isinstance(item, field.items) and not isinstance(item, bool) for item in value):
            kind = "strings" if field.items is str else field.items.__name__
            raise _fail(where, f"must be a list of {kind}")
        if field.items is str and any("\x00" in item for item in value):
            raise _fail(where, "contains a NUL character")
    elif isinstance(value, dict) and field.nested:
        check_object(field.nested, value, where)


def check_object(fields: tuple[Field, ...], obj: Any, where: str) -> dict[str, Any]:
    """``obj`` must be a JSON object holding every field as declared (other keys are ignored)."""
    if not isinstance(obj, dict):
        raise InvalidBag(f"metadata.json: {where} must be an object")
    missing = [f.name for f in fields if f.name not in obj and not f.optional]
    if missing:
        raise InvalidBag(f"metadata.json: {where} lacks {', '.join(sorted(missing))}")
    for field in fields:
        if field.name in obj:
            check_value(field, obj[field.name], f"{where}.{field.name}")
    return obj


def _check_consent(entry: dict[str, Any], where: str) -> None:
    """The consent fields beyond their types: boxes as the blur tool accepts them (at least one),
    and no ``hidden_at`` on a photo that is not hidden."""
    boxes = entry.get("blur_boxes")
    if boxes is not None:
        try:
            if not parse_boxes(boxes):
                raise BoxError("give at least one box, or null for a photo that is not blurred")
        except BoxError as exc:
            raise _fail(f"{where}.blur_boxes", str(exc)) from None
    if entry.get("hidden_at") is not None and entry.get("hidden_reason") is None:
        raise _fail(f"{where}.hidden_at", "is set but hidden_reason is null")


def check_metadata(document: Any) -> dict[str, Any]:
    """The whole ``metadata.json``: format and version, event, album, every photo, no photo twice,
    and a cover that is one of the photos."""
    if not isinstance(document, dict):
        raise InvalidBag("metadata.json must hold a JSON object")
    if document.get("format") != BAG_FORMAT:
        raise InvalidBag(f"metadata.json is not a Gallery album bag (format must be {BAG_FORMAT!r})")
    if document.get("format_version") != BAG_FORMAT_VERSION:
        raise InvalidBag(
            f"metadata.json format_version {document.get('format_version')!r} is not supported "
            f"(this Gallery reads version {BAG_FORMAT_VERSION})"
        )
    check_object(EVENT, document.get("event"), "event")
    album = check_object(ALBUM, document.get("album"), "album")
    photos = document.get("photos")
    if not isinstance(photos, list):
        raise InvalidBag("metadata.json: photos must be a list")
    seen_sha: set[str] = set()
    seen_path: set[str] = set()
    for i, entry in enumerate(photos):
        check_object(PHOTO, entry, f"photos[{i}]")
        _check_consent(entry, f"photos[{i}]")
        if entry["sha256"] in seen_sha:
            raise InvalidBag(f"metadata.json: photos[{i}] repeats the sha256 of an earlier photo")
        if entry["path"] in seen_path:
            raise InvalidBag(f"metadata.json: photos[{i}] repeats the path of an earlier photo")
        seen_sha.add(entry["sha256"])
        seen_path.add(entry["path"])
    if album["cover"] is not None and album["cover"] not in seen_path:
        raise InvalidBag("metadata.json: album.cover names no photo of the bag")
    return document
