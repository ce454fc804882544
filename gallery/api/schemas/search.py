"""Search: the query's arguments and the answer ``{"photos", "albums", "reports", "sessions", "next"}``."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from gallery.api.schemas.base import ModelSchema, PageQuerySchema, UTCDateTime, column_field, url_field
from gallery.api.schemas.compiled import Schema
from gallery.api.schemas.events import AlbumSchema
from gallery.api.schemas.photos import PhotoSchema
from gallery.api.schemas.reports import ReportSchema
from gallery.http.urls import external_url
from gallery.models import Event, Photo, Report
from gallery.schedule.models import EventSession
from gallery.search.query import MAX_QUERY_LENGTH
from gallery.search.service import PhotoHit, Sort


class SearchQuerySchema(PageQuerySchema):
    """``q``: words (each also matches as the start of a longer word: ``konf`` finds
    ``konferencja``) and "quoted phrases"; case and diacritics never matter (``zolw`` finds
    ``żółw``).  Every word and phrase must match.  The filters narrow the photos found."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_QUERY_LENGTH),
        metadata={"description": 'words and "phrases"; may be empty when a filter is given'},
    )
    event = column_field(Event.slug, required=False, metadata={"description": "slug of an event"})
    day = fields.Date(metadata={"description": "capture day (YYYY-MM-DD) in the event's time zone"})
    session = column_field(
        EventSession.slug, required=False, metadata={"description": "slug of a session of the programme"}
    )
    credit = column_field(Photo.credit, required=False, metadata={"description": "only photos with this credit"})
    camera = column_field(Photo.camera_model, required=False, metadata={"description": "only this camera model"})
    sort = fields.Enum(
        Sort,
        by_value=True,
        metadata={"description": "`relevance` (default with words) or `time` (capture time, undated last)"},
    )


class SearchPhotoSchema(PhotoSchema):
    """A photo found: as in the album JSON, with its album and the caption highlighted."""

    class Meta:
        model = Photo
        fields: tuple[str, ...] = (*PhotoSchema.Meta.fields, "album", "highlight")
        dump_only: tuple[str, ...] = PhotoSchema.Meta.dump_only

    album = fields.Function(
        lambda hit: hit.album.slug, dump_only=True, metadata={"type": "string", "description": "slug of the album"}
    )
    highlight = fields.Function(
        lambda hit: str(hit.highlight),
        dump_only=True,
        metadata={"type": "string", "description": "the caption as HTML: escaped, the matched words in <mark>"},
    )

    def dump_source(self, obj: Any) -> Any:
        # the photo's own fields from the photo itself, not through PhotoHit's __getattr__
        return obj.photo if isinstance(obj, PhotoHit) else obj


class SearchReportSchema(ReportSchema):
    """A report found: where it is and what it is called (its text is on its page)."""

    class Meta:
        model = Report
        fields = ("slug", "event", "title", "language", "published_at", "url")
        dump_only = fields


class SearchSessionSchema(ModelSchema):
    """A session of an event's programme, as search finds it."""

    class Meta:
        model = EventSession
        fields = ("slug", "event", "title", "starts_at", "ends_at", "room", "speakers", "url")
        dump_only = fields

    event = fields.Function(
        lambda s: s.event.slug, dump_only=True, metadata={"type": "string", "description": "slug of the event"}
    )
    starts_at = UTCDateTime(dump_only=True)
    ends_at = UTCDateTime(dump_only=True)
    speakers = fields.List(fields.String(), dump_only=True)
    url = url_field(lambda s: external_url("web.session", event=s.event.slug, session=s.slug), "the session's page")


class SearchResultSchema(Schema):
    """What matched: a page of photos (``next``: the cursor of the next page, null on the last)
    and, with the first page, the albums, reports and sessions (at most 10 each)."""

    photos = fields.List(fields.Nested(SearchPhotoSchema), required=True)
    albums = fields.List(fields.Nested(AlbumSchema), required=True)
    reports = fields.List(fields.Nested(SearchReportSchema), required=True)
    sessions = fields.List(fields.Nested(SearchSessionSchema), required=True)
    next = fields.String(
        required=True, allow_none=True, metadata={"description": "cursor of the next page of photos; null on the last"}
    )
