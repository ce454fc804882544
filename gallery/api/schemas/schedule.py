"""The event programme: sessions, the programme of an event, and what an import did."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate
from marshmallow_sqlalchemy import auto_field

from gallery.api.schemas.base import ModelSchema, Slug, UTCDateTime, url_field
from gallery.http.urls import external_url
from gallery.schedule import ical
from gallery.schedule.models import EventSession


class SessionSchema(ModelSchema):
    """A session of an event's programme.  Times are instants; one sent without an offset is read
    in the event's time zone."""

    class Meta:
        model = EventSession
        fields = ("slug", "event", "title", "starts_at", "ends_at", "room", "speakers", "description", "uid", "url")

    slug = auto_field(
        required=False,
        validate=Slug(),
        metadata={"description": "unique in the event; names the session page; made from the title when left out"},
    )
    event = fields.Function(
        lambda session: session.event.slug,
        dump_only=True,
        metadata={"type": "string", "description": "slug of the event"},
    )
    starts_at = UTCDateTime(required=True, metadata={"description": "ISO 8601; without an offset: the event's zone"})
    ends_at = UTCDateTime(required=True, metadata={"description": "ISO 8601, not before starts_at"})
    room = auto_field(required=False, metadata={"description": "where (the iCalendar LOCATION)"})
    speakers = fields.List(
        fields.String(validate=validate.Length(max=ical.SPEAKER_MAX)),
        validate=validate.Length(max=ical.SPEAKERS_MAX),
        metadata={"description": "names, in the programme's order"},
    )
    description = auto_field(required=False)
    uid = auto_field(dump_only=True, metadata={"description": "the iCalendar UID it was imported from; null: typed in"})
    url = url_field(
        lambda session: external_url("web.session", event=session.event.slug, session=session.slug),
        "the session's page, with its photos",
    )


class ProgrammeSchema(ma.Schema):
    """An event's programme, in order of start (then room)."""

    event = fields.String(metadata={"description": "slug of the event"})
    sessions = fields.List(fields.Nested(SessionSchema))


class SkippedSchema(ma.Schema):
    title = fields.String()
    reason = fields.String(metadata={"example": "all-day entry"})


class ScheduleImportSchema(ma.Schema):
    """What importing an iCalendar file did: sessions added, updated (same UID), unchanged,
    entries that are not sessions (all-day, cancelled, repeating), and earlier sessions the file
    no longer lists."""

    event = fields.String(metadata={"description": "slug of the event"})
    created = fields.List(fields.Nested(SessionSchema))
    updated = fields.List(fields.Nested(SessionSchema))
    unchanged = fields.Integer()
    skipped = fields.List(fields.Nested(SkippedSchema))
    missing = fields.List(
        fields.Nested(SessionSchema),
        metadata={"description": "sessions imported from an earlier file that this one no longer lists (kept)"},
    )


class ScheduleUploadSchema(ma.Schema):
    """An iCalendar file: multipart/form-data with the file in the field ``file``."""

    file = Upload(required=True, metadata={"description": "the programme (.ics, RFC 5545)"})
