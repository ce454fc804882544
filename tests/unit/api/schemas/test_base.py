"""The schema machinery (gallery/api/schemas/base.py): strict JSON numbers and booleans, Text limits
from the column's info, extra validators that add to the column's, fields for some roles only,
UTC times with Z, list pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import marshmallow as ma
import pytest
from flask import Flask, g
from marshmallow_sqlalchemy import auto_field

from gallery.api.schemas.base import (
    AUDIENCE,
    ModelSchema,
    Slug,
    StrictBoolean,
    UTCDateTime,
    WholeNumber,
    column_field,
    page_of,
)
from gallery.core.permissions import Permission
from gallery.models import Album, Event, Photo, Role
from tests.conftest import make_user


class Flags(ma.Schema):
    n = WholeNumber()
    b = StrictBoolean()
    at = UTCDateTime()


@pytest.mark.parametrize(("data", "field"), [({"n": "1"}, "n"), ({"n": 1.5}, "n"), ({"n": True}, "n"),
                                             ({"b": "yes"}, "b"), ({"b": 1}, "b")])  # fmt: skip
def test_json_numbers_and_booleans_are_strict(data: dict, field: str) -> None:
    with pytest.raises(ma.ValidationError) as refused:
        Flags().load(data)
    assert set(refused.value.messages) == {field}
    assert Flags().load({"n": 2, "b": False}) == {"n": 2, "b": False}


def test_utc_times_end_in_z() -> None:
    warsaw = timezone(timedelta(hours=2))
    assert Flags().dump({"at": datetime(2024, 5, 7, 10, 0, tzinfo=warsaw)})["at"] == "2024-05-07T08:00:00Z"


def test_text_columns_get_their_declared_limit_and_extra_validators_add() -> None:
    caption = column_field(Photo.caption)
    assert [v.max for v in caption.validators if isinstance(v, ma.validate.Length)] == [10_000]

    class WithSlug(ModelSchema):
        class Meta:
            model = Album
            fields = ("slug",)

        slug = auto_field(validate=Slug())

    kinds = {type(v) for v in WithSlug().fields["slug"].validators}
    assert kinds == {ma.validate.Length, Slug}  # the column's length and the slug rule
    with pytest.raises(ma.ValidationError) as refused:
        WithSlug().load({"slug": "Not Valid"})
    assert "not a valid slug" in str(refused.value.messages["slug"])


def test_fields_for_some_roles_only(app: Flask) -> None:
    class Secretive(ModelSchema):
        class Meta:
            model = Event
            fields = ("slug", "location")

        location = column_field(Event.location, metadata={AUDIENCE: Permission.edit_content})

    event = Event(slug="ecc", location="Brussels")
    assert Secretive().dump(event) == {"slug": "ecc"}
    g.api_user = make_user(Role.editor)
    assert Secretive().dump(event) == {"slug": "ecc", "location": "Brussels"}


def test_pages() -> None:
    page = page_of(Flags)
    assert page is page_of(Flags) and page.__name__ == "FlagsPageSchema"
    assert page().dump({"items": [{"n": 1}], "next": None}) == {"items": [{"n": 1}], "next": None}
