"""Forms of the management pages (Flask-WTF: CSRF token, field errors).

The forms check shape (required, length, dates); the services check the rules
(time zones, slugs, which photos and albums qualify).  A service's
``ValidationError`` names its field, and :func:`service_error` puts the
message under that field, so every problem shows next to its input."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from gallery.core.errors import GalleryError

VISIBILITY_CHOICES = [
    SelectChoice("public", _l("Public: listed on the event page, anyone can open it")),
    SelectChoice("unlisted", _l("Unlisted: only people with the share link can open it")),
    SelectChoice("private", _l("Private: only editors and admins")),
]
SORT_CHOICES = [
    SelectChoice("capture_time", _l("By capture time")),
    SelectChoice("manual", _l("Manual order (drag and drop)")),
]
DOWNLOAD_CHOICES = [
    SelectChoice("off", _l("Off: visitors cannot download originals")),
    SelectChoice(
        "without_location", _l("Originals without location data (GPS and place names removed, not re-encoded)")
    ),
    SelectChoice("exact", _l("Exact originals, including location data (GPS)")),
]
LANGUAGE_CHOICES = [SelectChoice("pl", "Polski"), SelectChoice("en", "English")]
STATUS_CHOICES = [SelectChoice("draft", _l("Draft: only editors see it")), SelectChoice("published", _l("Published"))]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), Length(max=64)],
        filters=[_strip],
        description=_l("An IANA time zone such as Europe/Brussels: capture times without an offset are read in it."),
    )
    location = StringField(_l("Location"), validators=[Optional(), Length(max=300)], filters=[_strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    review_uploads = BooleanField(
        _l("Publish only after review"),
        description=_l(
            "New uploads stay hidden from visitors until an editor releases them on the album's photo grid."
        ),
    )

    def values(self) -> dict[str, Any]:
        """What the form says of an event, as the catalogue's create and update take it."""
        return {
            "title": self.title.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "timezone": self.timezone.data,
            "location": self.location.data or "",
            "description": self.description.data or "",
            "review_uploads": bool(self.review_uploads.data),
        }


class NewEventForm(EventForm):
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=120)],
        filters=[_strip],
        description=_l("Lower-case letters, digits and hyphens; leave empty to make one from the title."),
    )


class NewAlbumForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=120)],
        filters=[_strip],
        description=_l("Lower-case letters, digits and hyphens; leave empty to make one from the title."),
    )
    visibility = RadioField(_l("Who can see it"), choices=VISIBILITY_CHOICES, default="public")
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])


class AlbumForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    cover_photo_id = SelectField(
        _l("Cover photo"),
        choices=[],
        validate_choice=False,  # the service checks the photo belongs to the album
        description=_l("Shown on the event page and in link previews. Automatic: the first photo."),
    )
    visibility = RadioField(_l("Who can see it"), choices=VISIBILITY_CHOICES)
    sort_mode = RadioField(_l("Order of the photos"), choices=SORT_CHOICES)
    original_downloads = RadioField(_l("Downloading originals"), choices=DOWNLOAD_CHOICES)
    accepts_raw = BooleanField(
        _l("Accept camera RAW files"),
        description=_l(
            "Uploads may be CR2, CR3, NEF, ARW, RAF, ORF, RW2 or DNG files: the original is kept as it is, "
            "the web sizes are made from it."
        ),
    )


class ReportForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)], filters=[_strip])
    language = SelectField(_l("Language of the report"), choices=LANGUAGE_CHOICES)
    # Choices (the event's other reports) are set by the view; 0: an original.
    translation_of = SelectField(
        _l("Translation of"),
        choices=[],
        coerce=int,
        validate_choice=False,  # the report service checks it is an original of this event
        description=_l("The report of this event that this one translates, if any: readers can switch between them."),
    )
    status = RadioField(_l("Status"), choices=STATUS_CHOICES, default="draft")
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[Optional(), Length(max=200_000)],
        description=_l(
            "Markdown: # heading, **bold**, *italic*, [link](https://…), lists. "
            "A paragraph of its own like [album slug] shows a strip of that album's photos."
        ),
    )

    def values(self) -> dict[str, Any]:
        """What the form says of a report, as the report service's create and update take it."""
        return {
            "title": self.title.data,
            "language": self.language.data,
            "body": self.body.data or "",
            "status": self.status.data,
            "translation_of": self.translation_of.data or None,
        }


class NewReportForm(ReportForm):
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=120)],
        filters=[_strip],
        description=_l("Lower-case letters, digits and hyphens; leave empty to make one from the title."),
    )


class ClockForm(FlaskForm):
    """Preview is a GET (nothing changes); apply is a POST with the same fields."""

    camera = SelectField(_l("Camera"), choices=[], validate_choice=False)
    offset = StringField(
        _l("Correction"),
        validators=[DataRequired(), Length(max=40)],
        filters=[_strip],
        description=_l(
            "How far the camera's clock was behind: +1h03m moves its photos 1 hour 3 minutes later, "
            "-45m 45 minutes earlier, 0m undoes the correction."
        ),
    )


def service_error(form: FlaskForm, exc: GalleryError, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's error under the field it names (or above the form)."""
    name = (aliases or {}).get(exc.field or "", exc.field or "")
    target: Field | None = getattr(form, name, None) if name else None
    if isinstance(target, Field):
        errors = list(target.errors)
        errors.append(exc.message)
        target.errors = errors
    else:
        form.form_errors.append(exc.message)
