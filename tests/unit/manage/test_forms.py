"""The management forms (gallery/manage/forms.py): they check shape (required, lengths, dates) and hand the
services their values; a service's error lands under the field it names.  (CSRF on every POST route:
tests/unit/manage/test_blueprint.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from gallery.core.errors import NotFoundError, ValidationError
from gallery.manage.forms import ClockForm, EventForm, NewAlbumForm, NewEventForm, NewReportForm, service_error


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = False  # the token is tested on the routes; here the fields
    with app.test_request_context("/", method="POST"):
        yield
    app.config["WTF_CSRF_ENABLED"] = True


EVENT = {
    "title": "  ECC 2024 ",
    "starts_on": "2024-05-07",
    "ends_on": "2024-05-08",
    "timezone": " Europe/Brussels ",
    "location": "",
    "description": "",
}


def test_an_event_form_gives_the_catalogue_its_values(request_context: None) -> None:
    form = EventForm(formdata=MultiDict(EVENT))
    assert form.validate(), form.errors
    assert form.values() == {
        "title": "ECC 2024",
        "starts_on": date(2024, 5, 7),
        "ends_on": date(2024, 5, 8),
        "timezone": "Europe/Brussels",
        "location": "",
        "description": "",
        "review_uploads": False,  # an unticked checkbox sends nothing
    }
    ticked = EventForm(formdata=MultiDict({**EVENT, "review_uploads": "y"}))
    assert ticked.validate(), ticked.errors
    assert ticked.values()["review_uploads"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"starts_on": "07.05.2024"}, "starts_on"),
        ({"ends_on": ""}, "ends_on"),
        ({"timezone": ""}, "timezone"),
        ({"location": "x" * 301}, "location"),
    ],
)
def test_an_event_form_checks_shape(request_context: None, change: dict[str, str], field: str) -> None:
    form = EventForm(formdata=MultiDict({**EVENT, **change}))
    assert not form.validate()
    assert set(form.errors) == {field}


def test_new_forms_take_an_optional_slug(request_context: None) -> None:
    event = NewEventForm(formdata=MultiDict({**EVENT, "slug": "  ecc-2024 "}))
    assert event.validate() and event.slug.data == "ecc-2024"
    album = NewAlbumForm(formdata=MultiDict({"title": "Day 1", "slug": ""}))
    assert album.validate(), album.errors
    assert (album.slug.data, album.visibility.data) == ("", "public")
    assert not NewAlbumForm(formdata=MultiDict({"title": "Day 1", "visibility": "secret"})).validate()


def test_a_report_form_gives_the_report_service_its_values(request_context: None) -> None:
    form = NewReportForm(
        formdata=MultiDict({"title": " Day one ", "language": "pl", "status": "published", "body": "# Hello"})
    )
    assert form.validate(), form.errors
    assert form.values() == {
        "title": "Day one",
        "language": "pl",
        "body": "# Hello",
        "status": "published",
        "translation_of": None,
    }
    translation = NewReportForm(formdata=MultiDict({"title": "T", "language": "en", "translation_of": "7"}))
    assert translation.validate() and translation.values()["translation_of"] == 7
    assert not NewReportForm(formdata=MultiDict({"title": "T", "language": "en", "translation_of": "x"})).validate()
    draft = NewReportForm(formdata=MultiDict({"title": "T", "language": "en"}))
    assert draft.validate() and draft.values()["status"] == "draft" and draft.values()["body"] == ""
    assert not NewReportForm(formdata=MultiDict({"title": "T", "language": "de"})).validate()


def test_service_errors_go_under_their_field(request_context: None) -> None:
    form = ClockForm(formdata=MultiDict({"camera": "x", "offset": "soon"}))
    form.validate()
    service_error(form, ValidationError("'soon' is not a time offset", field="offset"))
    assert form.offset.errors == ["'soon' is not a time offset"]
    service_error(
        form, ValidationError("no photos from that camera", field="camera_model"), aliases={"camera_model": "camera"}
    )
    assert form.camera.errors == ["no photos from that camera"]
    service_error(form, NotFoundError("no event 'x'"))  # no field: above the form
    service_error(form, ValidationError("odd", field="values"))  # not a field of this form (a method)
    assert form.form_errors == ["no event 'x'", "odd"]
