"""The compiled dump (gallery/api/schemas/compiled.py): the same output as marshmallow's own walk
for every kind of field, source, hidden key and hook, and the same API answers byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import marshmallow as ma
import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from markupsafe import Markup
from marshmallow import fields, post_dump, pre_dump

from gallery.api.schemas import compiled
from gallery.api.schemas.base import AUDIENCE, ModelSchema, UTCDateTime, column_field, page_of
from gallery.api.schemas.photos import AlbumDetailSchema, AlbumWithPhotos, PhotoSchema
from gallery.api.schemas.search import SearchResultSchema
from gallery.core.permissions import Permission
from gallery.extensions import db
from gallery.http import context
from gallery.http.viewer import current_viewer
from gallery.models import Album, Event, Photo, Role
from gallery.search.service import search
from tests.conftest import make_token, make_user
from tests.search.conftest import at, make_photo
from tests.search.conftest import make_album as make_found_album
from tests.unit.api.helpers import call
from tests.web.helpers import add_photos, make_album, make_event


def marshmallow_walk(schema: ma.Schema, obj: Any, many: bool | None = None) -> Any:
    """What marshmallow itself dumps: every plan refused, so each schema takes ``ma.Schema.dump``."""
    real = compiled.plan_for
    compiled.plan_for = lambda schema: None  # type: ignore[assignment]
    try:
        return schema.dump(obj, many=many)
    finally:
        compiled.plan_for = real


def both_ways(schema: ma.Schema, obj: Any, many: bool | None = None) -> Any:
    fast = schema.dump(obj, many=many)
    slow = marshmallow_walk(schema, obj, many=many)
    assert fast == slow
    assert repr(fast) == repr(slow)  # same keys in the same order, same types (1 is not 1.0, nor True)
    return fast


@dataclass
class Thing:
    name: Any
    count: Any
    ratio: Any = 1.5
    flag: Any = True
    when: Any = None
    tags: Any = None
    child: Any = None
    children: Any = None


class ChildSchema(compiled.Schema):
    name = fields.String()
    label = fields.Function(lambda child: f"<{child.name}>")


class KindsSchema(compiled.Schema):
    name = fields.String()
    title = fields.String(attribute="name", data_key="Title", dump_only=True)
    count = fields.Integer()
    count_text = fields.Integer(attribute="count", as_string=True, dump_only=True)
    ratio = fields.Float()
    flag = fields.Boolean()
    raw = fields.Raw(attribute="count", dump_only=True)
    when = UTCDateTime(allow_none=True)
    tags = fields.List(fields.String())
    child = fields.Nested(ChildSchema, allow_none=True)
    children = fields.List(fields.Nested(ChildSchema))
    many_children = fields.Nested(ChildSchema, many=True, attribute="children", dump_only=True)
    child_name = fields.String(attribute="child.name", dump_only=True)
    absent = fields.String()
    absent_default = fields.String(dump_default="none")
    shout = fields.Function(lambda thing: str(thing.name).upper())
    method = fields.Method("describe")
    constant = fields.Constant(7)

    def describe(self, thing: Thing) -> str:
        return f"{thing.name}×{thing.count}"


@pytest.mark.parametrize(
    "thing",
    [
        Thing("a", 1, when=datetime(2024, 5, 7, 8, 30, tzinfo=UTC), tags=["x", "y"], child=Thing("c", 0)),
        Thing(Markup("<b>"), True, ratio=2, flag=1, tags=[Markup("m"), 3], children=[Thing("d", 1), Thing("e", 2)]),
        Thing(None, None, ratio=None, flag=None, tags=None, child=None, children=None),
        Thing(b"bytes", 2.0, ratio=3, flag="yes", tags=()),
    ],
)
def test_every_kind_of_field_dumps_as_marshmallow_does(thing: Thing) -> None:
    both_ways(KindsSchema(), thing)
    both_ways(KindsSchema(many=True), [thing, thing])
    both_ways(KindsSchema(), [thing], many=True)
    both_ways(KindsSchema(only=("name", "child")), thing)


def test_mappings_are_read_by_key_as_marshmallow_does() -> None:
    data = {"name": "dict", "count": 3, "child": Thing("inner", 0), "tags": ["t"]}
    body = both_ways(KindsSchema(exclude=("shout", "method")), data)
    assert body["name"] == "dict" and body["child_name"] == "inner" and body["child"]["label"] == "<inner>"


class Wrapped(compiled.Schema):
    """Fields read from the wrapped object and computed ones; functions get the wrapper."""

    computed: ClassVar[dict[str, Callable[[Any], Any]]] = {"double": lambda thing: thing.count * 2}

    name = fields.String()
    double = fields.Integer()
    wrapper = fields.Function(lambda wrapper: type(wrapper).__name__)

    def dump_source(self, obj: Any) -> Any:
        return obj.inner if isinstance(obj, Wrapper) else obj


@dataclass
class Wrapper:
    inner: Thing


def test_sources_and_computed_values() -> None:
    assert both_ways(Wrapped(), Wrapper(Thing("w", 4))) == {"name": "w", "double": 8, "wrapper": "Wrapper"}
    assert both_ways(Wrapped(), Thing("t", 1)) == {"name": "t", "double": 2, "wrapper": "Thing"}


class Overridden(compiled.Schema):
    name = fields.String()
    count = fields.Integer()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        return 42 if attr == "count" else super().get_attribute(obj, attr, default)


class Hooked(compiled.Schema):
    name = fields.String()

    @pre_dump
    def _upper(self, obj: Thing, **kwargs: Any) -> Thing:
        return Thing(str(obj.name).upper(), obj.count)

    @post_dump
    def _mark(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "hooked": True}


def test_overridden_reads_and_hooks_of_their_own_go_through_marshmallow() -> None:
    assert both_ways(Overridden(), Thing("o", 1)) == {"name": "o", "count": 42}
    assert compiled.plan_for(Hooked()) is None
    assert Hooked().dump(Thing("h", 1)) == {"name": "H", "hooked": True}

    class Parent(compiled.Schema):
        hooked = fields.Nested(Hooked)

    assert both_ways(Parent(), {"hooked": Thing("p", 1)}) == {"hooked": {"name": "P", "hooked": True}}


def test_the_plan_is_made_once_per_class_and_set_of_fields() -> None:
    assert compiled.plan_for(KindsSchema()) is compiled.plan_for(KindsSchema())
    assert compiled.plan_for(KindsSchema(only=("name",))) is not compiled.plan_for(KindsSchema())
    assert compiled.plan_for(PhotoSchema()) is not None  # the API's schemas take the compiled walk


class Secretive(ModelSchema):
    class Meta:
        model = Event
        fields = ("slug", "location", "title")

    location = column_field(Event.location, metadata={AUDIENCE: Permission.edit_content})


def test_keys_for_some_roles_are_asked_once_per_dump(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    events = [Event(slug=f"e{i}", location="Brussels", title="T") for i in range(3)]
    asked: list[int] = []
    real = Secretive.hidden_keys

    def counting(self: Secretive) -> frozenset[str]:
        asked.append(1)
        return real(self)

    monkeypatch.setattr(Secretive, "hidden_keys", counting)
    with app.test_request_context("/"):
        assert both_ways(Secretive(many=True), events) == [{"slug": f"e{i}", "title": "T"} for i in range(3)]
        asked.clear()
        Secretive(many=True).dump(events)
        assert len(asked) == 1  # marshmallow's walk asks once per event
        g.api_user = make_user(Role.editor)
        assert both_ways(Secretive(), events[0]) == {"slug": "e0", "location": "Brussels", "title": "T"}
        page = page_of(Secretive)()
        assert both_ways(page, {"items": events, "next": None})["items"][2]["location"] == "Brussels"


@pytest.fixture
def photos(app: Flask) -> Iterator[list[Photo]]:
    album = make_album(db.session, make_event(db.session, "ecc"), "day-1")
    add_photos(db.session, album, 3, extra={"camera_make": "NIKON", "camera_model": "Z 6", "lens": "24-70"})
    photos = db.session.query(Photo).order_by(Photo.id).all()
    photos[1].hidden_reason = "editor"
    photos[2].blur_boxes = [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}]
    db.session.commit()
    yield photos


@pytest.mark.parametrize("role", [None, Role.photographer, Role.editor, Role.admin])
def test_photos_and_albums_dump_as_marshmallow_does_for_every_role(
    app: Flask, photos: list[Photo], role: Role | None
) -> None:
    with app.test_request_context("/api/v1/albums/day-1"):
        if role is not None:
            g.api_user = make_user(role)
        body = both_ways(AlbumDetailSchema(), AlbumWithPhotos(photos[0].album, photos))
        assert ("hidden_reason" in body["photos"][1]) == (role in (Role.editor, Role.admin))
        both_ways(PhotoSchema(many=True), photos)


@pytest.mark.parametrize("role", [None, Role.editor])
def test_search_answers_are_the_same_bytes(app: Flask, client: FlaskClient, role: Role | None) -> None:
    album = make_found_album("gala", title="Konferencja gala")
    for i in range(4):
        make_photo(album, f"<i>Konferencja</i> {i} w Łodzi", taken_at=at(f"2024-05-07 10:{i:02}"))
    user = make_user(role) if role is not None else None
    token = make_token(user) if user is not None else None
    with app.test_request_context("/api/v1/search"):
        g.api_user = user
        results = search(context.db_session(), "konf", viewer=current_viewer())
        assert len(results.photos) == 4 and results.albums
        schema = SearchResultSchema()
        assert app.json.dumps(schema.dump(results)) == app.json.dumps(marshmallow_walk(schema, results))
    fast = call(client, "GET", "/search?q=lodz&limit=2", token).get_data()
    compiled.plan_for, real = (lambda schema: None), compiled.plan_for  # type: ignore[assignment]
    try:
        slow = call(client, "GET", "/search?q=lodz&limit=2", token).get_data()
    finally:
        compiled.plan_for = real
    assert fast == slow and b"<mark>" in fast


def test_album_model_fields_with_enums_and_functions(app: Flask, photos: list[Photo]) -> None:
    from gallery.api.schemas.events import AlbumSchema

    with app.test_request_context("/api/v1/albums"):
        albums = db.session.query(Album).all()
        both_ways(AlbumSchema(many=True), albums)
        g.api_user = make_user(Role.editor)
        assert "share_url" in both_ways(AlbumSchema(many=True), albums)[0]
