"""Events and albums."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from marshmallow_sqlalchemy import auto_field

from gallery.api.schemas.base import ModelSchema, PageQuerySchema, Slug, column_field, only_for, url_field
from gallery.catalog.visibility import share_token_for
from gallery.core.permissions import Permission
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.models import Album, Event


class EventSchema(ModelSchema):
    """An event; its dates are days in its time zone."""

    class Meta:
        model = Event
        fields = (
            "slug", "title", "starts_on", "ends_on", "timezone", "location", "description", "review_uploads", "url",
        )  # fmt: skip

    slug = auto_field(required=False, validate=Slug(), metadata={"description": "made from the title when left out"})
    timezone = auto_field(metadata={"description": "IANA time zone", "example": "Europe/Brussels"})
    location = auto_field(allow_none=True, metadata={"description": "null: none"})
    description = auto_field(allow_none=True, metadata={"description": "null: none"})
    review_uploads = auto_field(
        required=False,
        metadata=only_for(
            Permission.edit_content, "publish only after review: new uploads stay hidden until an editor releases them"
        ),
    )
    url = url_field(lambda event: external_url("web.event", event=event.slug), "the event's page")


class EventQuerySchema(PageQuerySchema):
    since = fields.Date(data_key="from", metadata={"description": "events that end on or after this day"})
    until = fields.Date(data_key="to", metadata={"description": "events that start on or before this day"})


def _share_url(album: Album) -> Any:
    token = share_token_for(current_viewer(), album)
    return external_url("web.album", album=album.slug) + f"?token={token}" if token else None


class AlbumSchema(ModelSchema):
    """An album of an event."""

    class Meta:
        model = Album
        fields: tuple[str, ...] = (
            "slug", "event", "title", "description", "visibility", "sort_mode", "original_downloads", "url",
            "share_url", "accepts_raw",
        )  # fmt: skip

    slug = auto_field(required=False, validate=Slug(), metadata={"description": "made from the title when left out"})
    event = fields.Function(
        lambda album: album.event.slug, dump_only=True, metadata={"type": "string", "description": "slug of the event"}
    )
    description = auto_field(allow_none=True, metadata={"description": "null: none"})
    original_downloads = auto_field(
        metadata=only_for(Permission.edit_content, "`exact` serves originals with their location data (GPS) intact")
    )
    accepts_raw = auto_field(
        required=False,
        metadata=only_for(
            Permission.edit_content, "uploads may be camera raw files (CR2, CR3, NEF, ARW, RAF, ORF, DNG)"
        ),
    )
    url = url_field(lambda album: external_url("web.album", album=album.slug), "the album's page")
    share_url = fields.Function(
        _share_url,
        dump_only=True,
        metadata={**only_for(Permission.edit_content, "the link that opens the album with its share token"),
                  "type": "string", "format": "uri"},
    )  # fmt: skip


class AlbumQuerySchema(PageQuerySchema):
    visibility = column_field(
        Album.visibility, required=False, metadata={"description": "only albums of this visibility"}
    )
