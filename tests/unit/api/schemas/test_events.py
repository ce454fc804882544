"""Event and album schemas (gallery/api/schemas/events.py): what they load and what they answer."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
import pytest
from flask import Flask, g

from gallery.api.schemas.events import AlbumSchema, EventQuerySchema, EventSchema
from gallery.extensions import db
from gallery.models import Role, Visibility
from tests.conftest import make_user
from tests.web.helpers import make_album, make_event


def test_event_loads_dates_and_refuses_read_only_fields() -> None:
    loaded = EventSchema().load({"title": "T", "starts_on": "2024-05-07", "ends_on": "2024-05-08", "timezone": "UTC"})
    assert loaded["starts_on"] == date(2024, 5, 7) and "slug" not in loaded
    with pytest.raises(ma.ValidationError) as refused:
        EventSchema(partial=True).load({"url": "x"})
    assert set(refused.value.messages) == {"url"}


def test_event_query_names() -> None:
    assert EventQuerySchema().load({"from": "2024-05-01", "to": "2024-05-02"}) == {
        "since": date(2024, 5, 1), "until": date(2024, 5, 2), "limit": 50,
    }  # fmt: skip


def test_album_answers_per_role(app: Flask) -> None:
    album = make_album(db.session, make_event(db.session, "ecc"), "day-1", visibility="unlisted")
    with app.test_request_context("/api/v1/albums/day-1"):
        visitor = AlbumSchema().dump(album)
        assert visitor["event"] == "ecc" and visitor["visibility"] == "unlisted"
        assert "share_url" not in visitor and "original_downloads" not in visitor
        g.api_user = make_user(Role.editor)
        editor = AlbumSchema().dump(album)
        assert editor["share_url"].endswith(f"?token={album.share_token}") and editor["original_downloads"] == "off"
    assert AlbumSchema(partial=True).load({"visibility": "private"}) == {"visibility": Visibility.private}
