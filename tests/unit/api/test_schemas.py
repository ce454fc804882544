"""The resource schemas take their limits and choices from the model columns: the validators, the
OpenAPI document and the domain's checks all say what the column says, and a changed column
changes the schema."""

from __future__ import annotations

from collections.abc import Iterator

import marshmallow as ma
import pytest
from marshmallow import validate

from gallery.api.schemas.base import ModelSchema
from gallery.api.schemas.events import AlbumSchema, EventSchema
from gallery.api.schemas.photos import PhotoSchema
from gallery.api.schemas.reports import ReportSchema
from gallery.api.spec import generate
from gallery.models import (
    Album,
    Event,
    OriginalDownloads,
    Photo,
    PhotoStatus,
    Report,
    ReportStatus,
    SortMode,
    TakenAtSource,
    Visibility,
    max_length,
)

LIMITED = [
    (EventSchema, Event, ["slug", "title", "timezone", "location", "description"]),
    (AlbumSchema, Album, ["slug", "title", "description"]),
    (PhotoSchema, Photo, ["caption", "alt_text", "credit"]),
    (ReportSchema, Report, ["slug", "title", "body", "language"]),
]
ENUMS = [
    (AlbumSchema, "visibility", Visibility), (AlbumSchema, "sort_mode", SortMode),
    (AlbumSchema, "original_downloads", OriginalDownloads), (ReportSchema, "status", ReportStatus),
    (PhotoSchema, "status", PhotoStatus), (PhotoSchema, "taken_at_source", TakenAtSource),
]  # fmt: skip


def lengths(field: object) -> list[int]:
    return [v.max for v in getattr(field, "validators", []) if isinstance(v, validate.Length) and v.max is not None]


@pytest.mark.parametrize(("schema", "model", "names"), LIMITED, ids=lambda x: getattr(x, "__name__", ""))
def test_lengths_come_from_the_columns(schema: type, model: type, names: list[str]) -> None:
    fields = schema().fields
    document = generate()["components"]["schemas"][schema.__name__.removesuffix("Schema")]["properties"]
    for name in names:
        limit = max_length(getattr(model, name))
        assert lengths(fields[name]) == [limit], name
        assert document[name]["maxLength"] == limit, name


@pytest.mark.parametrize(("schema", "name", "enum"), ENUMS)
def test_choices_come_from_the_enum_columns(schema: type, name: str, enum: type) -> None:
    document = generate()["components"]["schemas"][schema.__name__.removesuffix("Schema")]["properties"]
    assert document[name]["enum"] == [member.value for member in enum]
    field = schema().fields[name]
    if not field.dump_only:
        assert schema(partial=True).load({name: list(enum)[-1].value})[name] is list(enum)[-1]


@pytest.fixture
def shorter_titles() -> Iterator[int]:
    column = Event.__table__.c.title
    saved = column.type.length
    column.type.length = 42
    try:
        yield 42
    finally:
        column.type.length = saved


def test_a_changed_column_changes_the_schema(shorter_titles: int) -> None:
    # marshmallow-sqlalchemy reads the columns when a schema class is made: the event schema made anew
    meta = type("Meta", (), {"model": Event, "fields": ("title", "starts_on", "ends_on", "timezone")})
    Rebuilt = type("Rebuilt", (ModelSchema,), {"Meta": meta})

    assert lengths(Rebuilt().fields["title"]) == [shorter_titles]
    with pytest.raises(ma.ValidationError) as refused:
        Rebuilt().load({"title": "x" * 43, "starts_on": "2024-05-07", "ends_on": "2024-05-07", "timezone": "UTC"})
    assert set(refused.value.messages) == {"title"}
    assert max_length(Event.title) == shorter_titles  # the domain reads the same column


def test_text_columns_declare_their_limits() -> None:
    assert max_length(Photo.caption) == Photo.__table__.c.caption.info["max_length"]
    with pytest.raises(ValueError):
        max_length(Photo.metadata_error)  # a Text column without a declared limit
