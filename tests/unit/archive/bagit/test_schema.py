"""The metadata.json schema: every limit and enum comes from the model's columns, and the
declaration validates, writes and reads the same fields."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from gallery.archive.bagit import schema
from gallery.archive.bagit.format import BAG_FORMAT, BAG_FORMAT_VERSION, InvalidBag
from gallery.archive.bagit.schema import (
    ALBUM,
    CAMERA,
    EVENT,
    PHOTO,
    PRIVATE,
    Field,
    Format,
)
from gallery.models import (
    Album,
    Event,
    HiddenReason,
    OriginalDownloads,
    Photo,
    SortMode,
    TakenAtSource,
    Visibility,
    max_length,
)

MODELS: dict[tuple[Field, ...], type[Any]] = {EVENT: Event, ALBUM: Album, PHOTO: Photo, CAMERA: Photo, PRIVATE: Photo}


def _columns(fields: tuple[Field, ...]) -> list[tuple[Field, sa.Column[Any]]]:
    table = MODELS[fields].__table__
    return [(f, table.c[f.attribute]) for f in fields if f.attribute is not None]


ALL_COLUMNS = [pair for fields in MODELS for pair in _columns(fields)]
PHOTO_COLUMNS = [pair for fields in (PHOTO, CAMERA, PRIVATE) for pair in _columns(fields)]


def photo_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": "originals/0001-a.jpg",
        "sha256": "a" * 64,
        "size": 1234,
        "content_type": "image/jpeg",
        "original_filename": "a.jpg",
        "width": 320,
        "height": 240,
        "orientation": 1,
        "taken_at": "2024-05-07T07:42:10Z",
        "taken_at_offset_minutes": 120,
        "taken_at_source": "exif_original",
        "taken_at_raw": "2024:05:07 09:42:10",
        "taken_at_flags": "",
        "clock_offset_seconds": 0,
        "camera": {
            "make": "Canon",
            "model": "Canon EOS R6",
            "serial": None,
            "lens": None,
            "focal_length_mm": 50,
            "aperture": 2.8,
            "exposure_time": "1/250",
            "iso": 1600,
        },
        "metadata_error": None,
        "title": "",
        "caption": "Opening",
        "alt_text": "",
        "credit": "Ana",
        "copyright": "",
        "keywords": ["ecc", "2024"],
        "position": None,
        "private": {"gps_latitude": 50.84, "gps_longitude": 4.38, "gps_altitude": None},
        "hidden_reason": None,
        "hidden_at": None,
        "blur_boxes": None,
    }
    entry.update(changes)
    return entry


def document(*photos: dict[str, Any], **album_changes: Any) -> dict[str, Any]:
    return {
        "format": BAG_FORMAT,
        "format_version": BAG_FORMAT_VERSION,
        "event": {
            "slug": "ecc-2024",
            "title": "ECC",
            "starts_on": "2024-05-07",
            "ends_on": "2024-05-08",
            "timezone": "Europe/Brussels",
            "location": "",
            "description": "",
        },
        "album": {
            "slug": "ecc",
            "title": "ECC",
            "description": "",
            "visibility": "public",
            "sort_mode": "capture_time",
            "original_downloads": "off",
            "cover": None,
            **album_changes,
        },
        "photos": list(photos),
    }


def refused(doc: Any, message: str) -> None:
    with pytest.raises(InvalidBag) as caught:
        schema.check_metadata(doc)
    assert message in caught.value.message, caught.value.message


# --- the declaration follows the model ----------------------------------------------------------


@pytest.mark.parametrize(("field", "column"), ALL_COLUMNS, ids=lambda p: getattr(p, "name", ""))
def test_each_field_takes_length_enum_and_nullability_from_its_column(field: Field, column: sa.Column[Any]) -> None:
    assert field.nullable == column.nullable
    if isinstance(column.type, sa.Enum):
        assert field.choices == tuple(column.type.enums) and field.enum_class is column.type.enum_class
    elif isinstance(column.type, sa.String):  # a Text column declares its limit in info (as the API reads it)
        assert field.max_length == (column.type.length or column.info.get("max_length"))
    if isinstance(column.type, sa.Integer):
        assert field.maximum is not None and field.maximum >= 2**15 - 1


def test_text_limits_are_the_ones_the_api_enforces() -> None:
    """A bag may not hold a caption, alt text or description that the API would refuse."""
    by_name = {f.name: f for f in (*EVENT, *ALBUM, *PHOTO)}
    assert by_name["caption"].max_length == max_length(Photo.caption) == 10_000
    assert by_name["alt_text"].max_length == max_length(Photo.alt_text)
    assert by_name["description"].max_length == max_length(Album.description)


def test_the_enums_are_the_model_enums() -> None:
    by_name = {f.name: f for f in (*ALBUM, *PHOTO)}
    assert by_name["visibility"].choices == tuple(v.value for v in Visibility)
    assert by_name["sort_mode"].choices == tuple(v.value for v in SortMode)
    assert by_name["original_downloads"].choices == tuple(v.value for v in OriginalDownloads)
    assert by_name["taken_at_source"].choices == tuple(v.value for v in TakenAtSource)


def test_every_photo_column_is_in_the_bag_or_deliberately_left_out() -> None:
    in_bag = {f.attribute for f, _ in PHOTO_COLUMNS}
    columns = set(Photo.__table__.c.keys())
    assert columns - in_bag == schema.PHOTO_COLUMNS_LEFT_OUT
    assert not in_bag & schema.PHOTO_COLUMNS_LEFT_OUT


def test_a_new_column_type_must_say_its_json_type() -> None:
    with pytest.raises(TypeError, match="give its JSON type"):
        schema.column_field(Photo.__table__.c.keywords)
    assert schema.column_field(Photo.__table__.c.keywords, types=(list,), items=str).items is str


def test_integer_ranges_follow_the_column_width() -> None:
    orientation = schema.column_field(Photo.__table__.c.orientation)  # SmallInteger
    size = schema.column_field(Photo.__table__.c.size)  # BigInteger
    width = schema.column_field(Photo.__table__.c.width)  # Integer
    assert (orientation.minimum, orientation.maximum) == (-(2**15), 2**15 - 1)
    assert (size.minimum, size.maximum) == (-(2**63), 2**63 - 1)
    assert (width.minimum, width.maximum) == (-(2**31), 2**31 - 1)


# --- validation of every limit ------------------------------------------------------------------

STRING_LIMITS = [(f, c) for f, c in ALL_COLUMNS if f.max_length is not None and not f.choices and f.format is None]
ENUMS = [(f, c) for f, c in ALL_COLUMNS if f.choices]


def _place(fields: tuple[Field, ...], field: Field, value: Any) -> dict[str, Any]:
    """A valid document with ``value`` in ``field`` of the object ``fields`` declares."""
    entry = photo_entry()
    doc = document(entry)
    if fields is EVENT:
        doc["event"][field.name] = value
    elif fields is ALBUM:
        doc["album"][field.name] = value
    elif fields is CAMERA:
        entry["camera"][field.name] = value
    elif fields is PRIVATE:
        entry["private"][field.name] = value
    else:
        entry[field.name] = value
    return doc


def _owner(field: Field) -> tuple[Field, ...]:
    return next(fields for fields in MODELS if field in fields)


def _where(fields: tuple[Field, ...], field: Field) -> str:
    prefix = {EVENT: "event", ALBUM: "album", CAMERA: "photos[0].camera", PRIVATE: "photos[0].private"}
    return f"{prefix.get(fields, 'photos[0]')}.{field.name}"


@pytest.mark.parametrize(("field", "column"), STRING_LIMITS, ids=lambda p: getattr(p, "name", ""))
def test_each_string_limit_of_the_model_is_enforced(field: Field, column: sa.Column[Any]) -> None:
    fields = _owner(field)
    length = max_length(column)
    filler = "e" if field.name != "slug" else "s"
    schema.check_metadata(_place(fields, field, filler * length))  # exactly at the limit: accepted
    refused(_place(fields, field, filler * (length + 1)), f"{_where(fields, field)} is longer than {length} characters")


@pytest.mark.parametrize(("field", "column"), ENUMS, ids=lambda p: getattr(p, "name", ""))
def test_each_enum_of_the_model_is_enforced(field: Field, column: sa.Column[Any]) -> None:
    fields = _owner(field)
    for value in column.type.enums:
        schema.check_metadata(_place(fields, field, value))
    refused(
        _place(fields, field, "sideways"),
        f"{_where(fields, field)} 'sideways' is not one of {', '.join(column.type.enums)}",
    )
    refused(_place(fields, field, column.type.enums[0].upper()), "is not one of")


@pytest.mark.parametrize(("field", "column"), ALL_COLUMNS, ids=lambda p: getattr(p, "name", ""))
def test_null_is_accepted_exactly_where_the_column_allows_it(field: Field, column: sa.Column[Any]) -> None:
    fields = _owner(field)
    doc = _place(fields, field, None)
    if column.nullable:
        schema.check_metadata(doc)
    else:
        refused(doc, f"{_where(fields, field)} must be ")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"orientation": 2**15}, "photos[0].orientation is out of range"),  # a SMALLINT column
        ({"orientation": -(2**15) - 1}, "photos[0].orientation is out of range"),
        ({"position": 2**31}, "photos[0].position is out of range"),
        ({"size": 0}, "photos[0].size must be positive"),
        ({"width": -1}, "photos[0].width must be positive"),
        ({"width": True}, "photos[0].width must be int"),
        ({"width": 1.5}, "photos[0].width must be int"),
        ({"width": "wide"}, "photos[0].width must be int"),
        ({"sha256": "A" * 64}, "photos[0].sha256 is not 64 lower-case hex digits"),
        ({"sha256": "a" * 63}, "photos[0].sha256 is not 64 lower-case hex digits"),
        ({"taken_at": "yesterday"}, "photos[0].taken_at is not an ISO 8601 time"),
        ({"taken_at": "2024-05-07T09:42:10"}, "photos[0].taken_at has no UTC offset"),
        ({"caption": "a\x00b"}, "photos[0].caption contains a NUL character"),
        ({"keywords": ["a", 1]}, "photos[0].keywords must be a list of strings"),
        ({"keywords": "a,b"}, "photos[0].keywords must be list"),
        ({"camera": None}, "photos[0].camera must be dict"),
        (
            {"camera": {"make": "Canon"}},
            "photos[0].camera lacks aperture, exposure_time, focal_length_mm, iso, lens, model, serial",
        ),
        (
            {"private": {"gps_latitude": "50.8", "gps_longitude": None, "gps_altitude": None}},
            "photos[0].private.gps_latitude must be int or float or null",
        ),
    ],
)
def test_bag_rules_beyond_the_columns(change: dict[str, Any], message: str) -> None:
    refused(document(photo_entry(**change)), message)


def test_camera_iso_range_comes_from_its_column() -> None:
    entry = photo_entry()
    entry["camera"]["iso"] = 2**31
    refused(document(entry), "photos[0].camera.iso is out of range")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "metadata.json must hold a JSON object"),
        ({**document(), "format": "other"}, "is not a Gallery album bag"),
        ({**document(), "format_version": 2}, "format_version 2 is not supported"),
        ({**document(), "photos": {}}, "photos must be a list"),
        ({**document(), "event": "ecc"}, "metadata.json: event must be an object"),
        (document(photo_entry(), photo_entry(path="originals/2.jpg")), "photos[1] repeats the sha256"),
        (document(photo_entry(), photo_entry(sha256="b" * 64)), "photos[1] repeats the path"),
        (document(photo_entry(), cover="originals/9.jpg"), "album.cover names no photo of the bag"),
        (
            {**document(), "event": {**document()["event"], "starts_on": "7 May"}},
            "event.starts_on '7 May' is not a date",
        ),
    ],
)
def test_document_rules(doc: Any, message: str) -> None:
    refused(doc, message)


def test_a_valid_document_passes_and_extra_keys_are_ignored() -> None:
    doc = document(
        photo_entry(),
        photo_entry(path="originals/0002-b.jpg", sha256="b" * 64, taken_at=None),
        cover="originals/0002-b.jpg",
    )
    doc["photos"][0]["future_field"] = {"anything": 1}
    assert schema.check_metadata(copy.deepcopy(doc)) == doc


# --- rows <-> JSON ------------------------------------------------------------------------------


def test_dump_and_load_are_inverse_for_a_photo() -> None:
    values = schema.load(PHOTO, photo_entry())
    assert values["taken_at"] == datetime(2024, 5, 7, 7, 42, 10, tzinfo=UTC)
    assert values["taken_at_source"] is TakenAtSource.exif_original
    assert values["camera_make"] == "Canon" and values["gps_latitude"] == 50.84
    assert "path" not in values and "camera" not in values
    photo = Photo(**values)
    assert schema.dump(PHOTO, photo, path="originals/0001-a.jpg") == photo_entry()


# --- the consent fields, optional in format 1 ----------------------------------------------------

CONSENT = ("hidden_reason", "hidden_at", "blur_boxes")


def test_a_bag_written_before_the_consent_fields_still_reads_as_not_hidden_and_not_blurred() -> None:
    entry = photo_entry()
    for name in CONSENT:
        del entry[name]
    schema.check_metadata(document(entry))
    values = schema.load(PHOTO, entry)
    assert values["hidden_reason"] is None and values["hidden_at"] is None and values["blur_boxes"] is None
    assert {f.name for f in PHOTO if f.optional} == set(CONSENT)  # every other field stays required


def test_hidden_and_blurred_photos_dump_and_load_their_state() -> None:
    boxes = [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.25}]
    entry = photo_entry(hidden_reason="takedown", hidden_at="2024-05-08T10:00:00Z", blur_boxes=boxes)
    schema.check_metadata(document(entry))
    values = schema.load(PHOTO, entry)
    assert values["hidden_reason"] is HiddenReason.takedown
    assert values["hidden_at"] == datetime(2024, 5, 8, 10, tzinfo=UTC)
    assert values["blur_boxes"] == boxes
    assert schema.dump(PHOTO, Photo(**values), path=entry["path"]) == entry


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"blur_boxes": [{"x": 0.9, "y": 0.0, "w": 0.5, "h": 0.5}]}, "photos[0].blur_boxes box 1 must lie inside"),
        ({"blur_boxes": [{"x": 0, "y": 0, "w": 0.5}]}, "photos[0].blur_boxes box 1"),
        ({"blur_boxes": [{"x": 0, "y": 0, "w": 0.5, "h": 0.5, "z": 1}]}, "unknown field 'z'"),
        ({"blur_boxes": []}, "photos[0].blur_boxes give at least one box"),
        ({"blur_boxes": [[0, 0, 1, 1]]}, "photos[0].blur_boxes must be a list of dict"),
        ({"blur_boxes": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * 51}, "photos[0].blur_boxes at most 50 boxes"),
        ({"hidden_at": "2024-05-08T10:00:00Z"}, "photos[0].hidden_at is set but hidden_reason is null"),
        ({"hidden_reason": "gone"}, "photos[0].hidden_reason 'gone' is not one of takedown, editor, review"),
    ],
)
def test_consent_fields_are_checked(change: dict[str, Any], message: str) -> None:
    refused(document(photo_entry(**change)), message)


def test_dump_writes_enums_dates_and_extras_as_json() -> None:
    event = Event(
        slug="e",
        title="E",
        starts_on=datetime(2024, 5, 7).date(),
        ends_on=datetime(2024, 5, 8).date(),
        timezone="Europe/Warsaw",
        location="Kraków",
        description="",
    )
    album = Album(
        slug="a",
        title="A",
        description="",
        visibility=Visibility.unlisted,
        sort_mode=SortMode.manual,
        original_downloads=OriginalDownloads.exact,
    )
    assert schema.dump(EVENT, event)["starts_on"] == "2024-05-07"
    assert schema.dump(ALBUM, album, cover=None) == {
        "slug": "a",
        "title": "A",
        "description": "",
        "visibility": "unlisted",
        "sort_mode": "manual",
        "original_downloads": "exact",
        "cover": None,
    }
    assert Format.date is schema.column_field(Event.__table__.c.ends_on).format
