"""THE ROLE MATRIX: every route × {anonymous, photographer, editor, admin} → expected status.

``MATRIX`` is keyed by ``(rule, method)`` exactly as ``app.url_map`` spells them.  When a new
route is added, ``test_matrix_lists_every_route`` fails until the route gets a row here, so
every route's access rules are written down and checked.

HTML routes are called with a session made by logging in through the real /login form; API
routes (``/api/…``) with ``Authorization: Bearer`` tokens.  Request bodies are valid, so the
success status is the real one (201, not a 422 for an empty body).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from gallery.accounts import users as accounts
from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.config import parse_database_url
from gallery.consent.models import TakedownRequest, Tombstone
from gallery.core.audit import SYSTEM
from gallery.core.permissions import ROLE_PERMISSIONS, Permission
from gallery.extensions import db
from gallery.models import ApiToken, Derivative, Photo, Report, ReportStatus, Role, User
from gallery.schedule.models import EventSession
from tests.conftest import (
    DATABASES,
    PASSWORD,
    PG_URL,
    csrf_from,
    login,
    make_app,
    make_token,
    make_user,
)

ROLES = ("anonymous", "photographer", "editor", "admin")
MATRIX_EVENT = "matrix-event"
LOGIN_TARGET = "login-target@example.org"


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def staff(anonymous: int, photographer: int, editor: int, admin: int) -> dict[str, int]:
    return {"anonymous": anonymous, "photographer": photographer, "editor": editor, "admin": admin}


@dataclass(frozen=True)
class Case:
    """How to call one (rule, method) and what each role gets back.

    ``path`` fills in the rule's variables (defaults to the rule itself); it may name the ids the
    matrix world made, e.g. ``{private_photo}``, and ``{role}``.  ``json`` is sent as a JSON body;
    ``form`` as a form with a valid CSRF token (its names and values may name ids and ``{role}``
    like ``path``); ``upload=True`` sends a new JPEG (different for
    each role) in that multipart field (with the form, if any).  ``location`` maps a role to the ``Location`` its
    redirect must have."""

    expect: dict[str, int]
    path: str | None = None
    json: Any = None
    form: dict[str, str] | None = None
    upload: str | None = None  # multipart field that gets a new JPEG
    location: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # sent as they are (e.g. the tus headers)
    body: bytes | None = None  # sent as the request body (with a Content-Type in ``headers``)


BULK_ACTIONS = ("bulk_move", "bulk_delete", "bulk_restore", "bulk_hide", "bulk_show", "bulk_blur")
MANAGE_LOGIN = "/login?next=%2Fmanage%2F"  # compared after decoding: see same_url()
EDITORS_PAGE = staff(302, 403, 200, 200)  # management pages for editors (events, albums, reports, clocks)
EDITORS_POST = staff(302, 403, 302, 302)  # their forms: done, then redirected (post/redirect/get)
ADMINS_PAGE = staff(302, 403, 403, 200)  # admins' pages (users, audit log)
ADMINS_POST = staff(302, 403, 403, 302)  # their forms
STAFF_ONLY = staff(404, 404, 200, 200)  # private things: editors and admins see them, nobody else knows
# The matrix world (see ``world``): event "matrix-event" with the public album "matrix-public";
# event "matrix-hidden" with only the private album "matrix-private" and a draft report.
PRIVATE_PHOTO = "/albums/matrix-private/photos/{private_photo}"
TUS_KEY = "matrix-someone-elses-upload"  # an upload nobody here owns: 404 for everyone allowed to ask

MATRIX: dict[tuple[str, str], Case] = {
    # --- visitors' pages -------------------------------------------------------------------
    ("/", "GET"): Case(everyone(200)),
    ("/events", "GET"): Case(everyone(200)),
    ("/healthz", "GET"): Case(everyone(200)),
    ("/readyz", "GET"): Case(everyone(200)),
    ("/metrics", "GET"): Case(everyone(404)),  # off unless GALLERY_METRICS (tests/unit/http/test_metrics.py)
    ("/privacy", "GET"): Case(everyone(200)),
    # search: anyone may search; an event only staff may see cannot be searched in by others
    ("/search", "GET"): Case(STAFF_ONLY, path="/search?q=matrix&event=matrix-hidden"),
    # takedown requests: about a photo the visitor can see (a private one: staff only); "other" hides nothing
    ("/albums/<album>/photos/<int:photo_id>/takedown", "GET"): Case(STAFF_ONLY, path=PRIVATE_PHOTO + "/takedown"),
    ("/albums/<album>/photos/<int:photo_id>/takedown", "POST"): Case(
        STAFF_ONLY, path=PRIVATE_PHOTO + "/takedown", form={"action": "other", "reason": "Matrix"}
    ),
    ("/manage/takedowns", "GET"): Case(EDITORS_PAGE, location={"anonymous": "/login?next=%2Fmanage%2Ftakedowns"}),
    ("/manage/takedowns/<int:request_id>/decision", "POST"): Case(
        EDITORS_POST, path="/manage/takedowns/{takedown_web_{role}}/decision", form={"action": "restore"}
    ),
    ("/api/v1/photos/<int:photo_id>/takedown-requests", "POST"): Case(
        staff(404, 404, 202, 202), path="/api/v1/photos/{private_photo}/takedown-requests", json={"action": "other"}
    ),
    ("/api/v1/takedown-requests", "GET"): Case(staff(401, 403, 200, 200), path="/api/v1/takedown-requests?status=open"),
    ("/api/v1/takedown-requests/<int:request_id>/decision", "POST"): Case(
        staff(401, 403, 200, 200),
        path="/api/v1/takedown-requests/{takedown_api_{role}}/decision",
        json={"action": "restore"},
    ),
    ("/api/v1/tombstones/<sha256>", "DELETE"): Case(staff(401, 403, 403, 204), path="/api/v1/tombstones/{tombstone}"),
    ("/feed.atom", "GET"): Case(everyone(200)),
    ("/sitemap.xml", "GET"): Case(everyone(200)),
    ("/language/<code>", "GET"): Case(everyone(302), path="/language/pl?next=/", location=dict.fromkeys(ROLES, "/")),
    ("/theme/<choice>", "GET"): Case(everyone(302), path="/theme/dark?next=/", location=dict.fromkeys(ROLES, "/")),
    ("/events/<event>", "GET"): Case(STAFF_ONLY, path="/events/matrix-hidden"),
    ("/events/<event>/reports/<report>", "GET"): Case(STAFF_ONLY, path="/events/matrix-hidden/reports/draft-report"),
    ("/events/<event>/sessions/<session>", "GET"): Case(
        STAFF_ONLY, path="/events/matrix-hidden/sessions/matrix-session"
    ),
    ("/albums/<album>", "GET"): Case(STAFF_ONLY, path="/albums/matrix-private"),
    ("/albums/<album>/photos/<int:photo_id>", "GET"): Case(STAFF_ONLY, path=PRIVATE_PHOTO),
    # a private album's download: editors are sent to an expiring signed URL
    ("/albums/<album>/photos/<int:photo_id>/download", "GET"): Case(
        staff(404, 404, 302, 302), path=PRIVATE_PHOTO + "/download"
    ),
    ("/media/downloads/<int:photo_id>/<kind>", "GET"): Case(everyone(403), path="/media/downloads/{private_photo}/web"),
    ("/albums/<album>/download.zip", "GET"): Case(STAFF_ONLY, path="/albums/matrix-private/download.zip"),
    ("/albums/<album>/live", "GET"): Case(STAFF_ONLY, path="/albums/matrix-private/live"),
    ("/albums/<album>/live.json", "GET"): Case(STAFF_ONLY, path="/albums/matrix-private/live.json"),
    # A private album's media answer expiring signed URLs only, whoever asks: the plain URL is 404.
    ("/media/derivatives/<sha256>/<version>/<name>", "GET"): Case(
        everyone(404), path="/media/derivatives/{private_derivative}"
    ),
    # --- embeds and oEmbed: public artefacts, the same for every role ------------------------
    ("/embed/albums/<album>", "GET"): Case(everyone(200), path="/embed/albums/matrix-public"),
    ("/embed/photos/<int:photo_id>", "GET"): Case(everyone(200), path="/embed/photos/{public_photo}"),
    ("/oembed", "GET"): Case(
        everyone(200), path="/oembed?url=http%3A%2F%2Flocalhost%2Falbums%2Fmatrix-public&format=json"
    ),
    # --- login / logout --------------------------------------------------------------------
    ("/login", "GET"): Case(
        staff(200, 302, 302, 302), location={"photographer": "/manage/", "editor": "/manage/", "admin": "/manage/"}
    ),
    # A wrong password: anonymous visitors get the form again (401); logged-in users are sent on.
    ("/login", "POST"): Case(staff(401, 302, 302, 302), form={"email": LOGIN_TARGET, "password": "wrong password!"}),
    ("/logout", "GET"): Case(staff(302, 200, 200, 200), location={"anonymous": "/"}),
    ("/logout", "POST"): Case(everyone(302), form={}, location=dict.fromkeys(ROLES, "/")),
    # --- management area ---------------------------------------------------------------------
    ("/manage/", "GET"): Case(staff(302, 200, 200, 200), location={"anonymous": MANAGE_LOGIN}),
    ("/manage/audit", "GET"): Case(staff(302, 403, 403, 200), location={"anonymous": "/login?next=%2Fmanage%2Faudit"}),
    # users (admins) and every user's own profile; the target is a photographer no session belongs to
    ("/manage/users", "GET"): Case(ADMINS_PAGE, location={"anonymous": "/login?next=%2Fmanage%2Fusers"}),
    ("/manage/users", "POST"): Case(ADMINS_PAGE, form={"email": "matrix-new-{role}@example.org", "role": "editor"}),
    ("/manage/users/<int:user_id>", "GET"): Case(ADMINS_PAGE, path="/manage/users/{user_target}"),
    ("/manage/users/<int:user_id>/role", "POST"): Case(
        ADMINS_POST, path="/manage/users/{user_target}/role", form={"role": "photographer"}
    ),
    ("/manage/users/<int:user_id>/active", "POST"): Case(
        ADMINS_POST, path="/manage/users/{user_target}/active", form={"active": "1"}
    ),
    ("/manage/users/<int:user_id>/tokens/revoke", "POST"): Case(
        ADMINS_POST, path="/manage/users/{user_target}/tokens/revoke", form={"token": "{user_target_token}"}
    ),
    ("/manage/users/<int:user_id>/password-link", "POST"): Case(
        ADMINS_PAGE, path="/manage/users/{user_target}/password-link", form={}
    ),
    ("/manage/profile", "GET"): Case(
        staff(302, 200, 200, 200), location={"anonymous": "/login?next=%2Fmanage%2Fprofile"}
    ),
    ("/manage/profile", "POST"): Case(staff(302, 302, 302, 302), form={"name": "Matrix {role}", "default_credit": ""}),
    # a wrong current password (a right one would end the matrix's shared sessions): 422 for every user
    ("/manage/profile/password", "POST"): Case(
        staff(302, 422, 422, 422),
        form={"current_password": "not it", "new_password": "x", "confirm_password": "x"},
    ),
    ("/manage/profile/tokens", "POST"): Case(staff(302, 200, 200, 200), form={"name": "matrix"}),
    # nobody has token 2147483647: each user may only revoke their own tokens
    ("/manage/profile/tokens/revoke", "POST"): Case(staff(302, 404, 404, 404), form={"token": "2147483647"}),
    # a one-time set-password link: an unknown one is 404 for everyone (tests/unit/web/test_account.py)
    ("/account/set-password/<secret>", "GET"): Case(everyone(404), path="/account/set-password/not-a-link"),
    ("/account/set-password/<secret>", "POST"): Case(
        everyone(404), path="/account/set-password/not-a-link", form={"password": "x", "confirm_password": "x"}
    ),
    ("/manage/albums/<album>/upload", "GET"): Case(
        staff(302, 200, 200, 200),
        path="/manage/albums/matrix-public/upload",
        location={"anonymous": "/login?next=%2Fmanage%2Falbums%2Fmatrix-public%2Fupload"},
    ),
    ("/manage/albums/<album>/upload", "POST"): Case(
        staff(302, 200, 200, 200), path="/manage/albums/matrix-public/upload", form={}, upload="files"
    ),
    # events, albums, reports, clocks: editors; photographers caption their own photos only
    ("/manage/events", "GET"): Case(EDITORS_PAGE, location={"anonymous": "/login?next=%2Fmanage%2Fevents"}),
    ("/manage/events/new", "GET"): Case(EDITORS_PAGE),
    ("/manage/events/new", "POST"): Case(
        EDITORS_POST,
        form={
            "title": "Matrix UI event",
            "starts_on": "2024-05-07",
            "ends_on": "2024-05-08",
            "timezone": "Europe/Brussels",
        },
    ),
    ("/manage/events/<event>/edit", "GET"): Case(EDITORS_PAGE, path=f"/manage/events/{MATRIX_EVENT}/edit"),
    ("/manage/events/<event>/edit", "POST"): Case(
        EDITORS_POST,
        path=f"/manage/events/{MATRIX_EVENT}/edit",
        form={"title": "Matrix", "starts_on": "2024-05-07", "ends_on": "2024-05-08", "timezone": "Europe/Brussels"},
    ),
    ("/manage/events/<event>/albums/new", "GET"): Case(EDITORS_PAGE, path=f"/manage/events/{MATRIX_EVENT}/albums/new"),
    ("/manage/events/<event>/albums/new", "POST"): Case(
        EDITORS_POST,
        path=f"/manage/events/{MATRIX_EVENT}/albums/new",
        form={"title": "Matrix UI album", "visibility": "public"},
    ),
    ("/manage/events/<event>/clock", "GET"): Case(EDITORS_PAGE, path="/manage/events/matrix-hidden/clock"),
    ("/manage/events/<event>/clock", "POST"): Case(
        EDITORS_POST, path="/manage/events/matrix-hidden/clock", form={"camera": '["", "", ""]', "offset": "+1h"}
    ),
    ("/manage/events/<event>/reports", "GET"): Case(EDITORS_PAGE, path="/manage/events/matrix-hidden/reports"),
    ("/manage/events/<event>/programme", "GET"): Case(EDITORS_PAGE, path="/manage/events/matrix-hidden/programme"),
    # a JPEG is no programme: the editors' upload gets as far as reading it (422, nothing written)
    ("/manage/events/<event>/programme", "POST"): Case(
        staff(302, 403, 422, 422), path="/manage/events/matrix-hidden/programme", form={}, upload="file"
    ),
    ("/manage/events/<event>/programme/<session>/edit", "GET"): Case(
        EDITORS_PAGE, path="/manage/events/matrix-hidden/programme/matrix-session/edit"
    ),
    ("/manage/events/<event>/programme/<session>/edit", "POST"): Case(
        EDITORS_POST,
        path="/manage/events/matrix-hidden/programme/matrix-session/edit",
        form={"title": "Session", "starts_at": "2024-05-07T10:00", "ends_at": "2024-05-07T11:00"},
    ),
    ("/manage/events/<event>/programme/<session>/delete", "POST"): Case(
        EDITORS_POST, path="/manage/events/matrix-hidden/programme/matrix-web-delete-{role}/delete", form={}
    ),
    ("/manage/events/<event>/reports/new", "GET"): Case(EDITORS_PAGE, path="/manage/events/matrix-hidden/reports/new"),
    ("/manage/events/<event>/reports/new", "POST"): Case(
        EDITORS_POST,
        path="/manage/events/matrix-hidden/reports/new",
        form={"title": "Matrix report {role}", "language": "en", "status": "draft", "body": "Hello."},
    ),
    ("/manage/events/<event>/reports/<report>/edit", "GET"): Case(
        EDITORS_PAGE, path="/manage/events/matrix-hidden/reports/draft-report/edit"
    ),
    ("/manage/events/<event>/reports/<report>/edit", "POST"): Case(
        EDITORS_POST,
        path="/manage/events/matrix-hidden/reports/draft-report/edit",
        form={"title": "Draft", "language": "en", "status": "draft", "body": "Not yet."},  # stays a draft
    ),
    ("/manage/reports/preview", "POST"): Case(staff(302, 403, 200, 200), form={"body": "# Matrix"}),
    ("/manage/albums/<album>/edit", "GET"): Case(EDITORS_PAGE, path="/manage/albums/matrix-public/edit"),
    ("/manage/albums/<album>/edit", "POST"): Case(
        EDITORS_POST,
        path="/manage/albums/matrix-public/edit",
        form={
            "title": "Public",
            "visibility": "public",
            "sort_mode": "capture_time",
            "original_downloads": "off",
            "cover_photo_id": "",
        },
    ),
    ("/manage/albums/<album>/share-link", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/share-link", form={}
    ),
    ("/manage/albums/<album>/order", "GET"): Case(EDITORS_PAGE, path="/manage/albums/matrix-public/order"),
    ("/manage/albums/<album>/order", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/order", form={"position-{public_photo}": "1"}
    ),
    ("/manage/albums/<album>/photos", "GET"): Case(
        staff(302, 200, 200, 200), path="/manage/albums/matrix-public/photos"
    ),
    # {public_photo} was uploaded by the editor: not the photographer's to caption
    ("/manage/albums/<album>/photos", "POST"): Case(
        EDITORS_POST,
        path="/manage/albums/matrix-public/photos",
        form={"photo": "{public_photo}", "caption-{public_photo}": "Matrix grid caption ({role})"},
    ),
    ("/manage/photos/<int:photo_id>/blur", "GET"): Case(EDITORS_PAGE, path="/manage/photos/{public_photo}/blur"),
    ("/manage/photos/<int:photo_id>/blur", "POST"): Case(
        EDITORS_POST, path="/manage/photos/{public_photo}/blur", form={"boxes": ""}
    ),
    ("/manage/photos/<int:photo_id>", "POST"): Case(
        EDITORS_POST, path="/manage/photos/{public_photo}", form={"caption": "Matrix caption ({role})"}
    ),
    ("/manage/albums/<album>/photos/credit", "POST"): Case(
        EDITORS_POST,
        path="/manage/albums/matrix-public/photos/credit",
        form={"selected": "{public_photo}", "bulk_credit": "Matrix credit"},
    ),
    ("/manage/albums/<album>/photos/move", "POST"): Case(
        EDITORS_POST,
        path="/manage/albums/matrix-public/photos/move",
        form={"selected": "{bulk_move_{role}}", "target": "matrix-other"},
    ),
    ("/manage/albums/<album>/photos/hide", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/photos/hide", form={"selected": "{bulk_hide_{role}}"}
    ),
    ("/manage/albums/<album>/photos/show", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/photos/show", form={"selected": "{bulk_show_{role}}"}
    ),
    ("/manage/albums/<album>/photos/blur", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/photos/blur", form={"selected": "{bulk_blur_{role}}"}
    ),
    ("/manage/albums/<album>/photos/delete", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/photos/delete", form={"selected": "{bulk_delete_{role}}"}
    ),
    ("/manage/albums/<album>/deleted", "GET"): Case(EDITORS_PAGE, path="/manage/albums/matrix-public/deleted"),
    ("/manage/albums/<album>/deleted/restore", "POST"): Case(
        EDITORS_POST, path="/manage/albums/matrix-public/deleted/restore", form={"selected": "{bulk_restore_{role}}"}
    ),
    # --- JSON API ----------------------------------------------------------------------------
    ("/api/v1/openapi.json", "GET"): Case(everyone(200)),
    ("/api/v1/events", "POST"): Case(
        staff(401, 403, 201, 201),
        json={
            "title": "Matrix Conference",
            "starts_on": "2024-05-07",
            "ends_on": "2024-05-08",
            "timezone": "Europe/Brussels",
            "location": "Brussels",
        },
    ),
    ("/api/v1/events/<event>/albums", "POST"): Case(
        staff(401, 403, 201, 201),
        path=f"/api/v1/events/{MATRIX_EVENT}/albums",
        json={"title": "Matrix album", "visibility": "unlisted"},
    ),
    ("/api/v1/albums/<album>", "GET"): Case(STAFF_ONLY, path="/api/v1/albums/matrix-private"),
    ("/api/v1/albums/<album>/photos", "POST"): Case(
        staff(401, 201, 201, 201), path="/api/v1/albums/matrix-public/photos", upload="file"
    ),
    ("/api/v1/events/<event>/cameras", "GET"): Case(
        staff(401, 403, 200, 200), path="/api/v1/events/matrix-hidden/cameras"
    ),
    ("/api/v1/events/<event>/clock-corrections", "POST"): Case(
        staff(401, 403, 200, 200),
        path="/api/v1/events/matrix-hidden/clock-corrections",
        json={"model": "Matrix Cam", "offset_seconds": 60, "preview": True},
    ),
    ("/api/v1/photos/<int:photo_id>", "GET"): Case(STAFF_ONLY, path="/api/v1/photos/{private_photo}"),
    # The photo was uploaded by the editor: a photographer may caption only their own photos.
    ("/api/v1/photos/<int:photo_id>", "PATCH"): Case(
        staff(401, 403, 200, 200), path="/api/v1/photos/{public_photo}", json={"caption": "Matrix caption"}
    ),
    ("/api/v1/photos/<int:photo_id>", "DELETE"): Case(
        staff(401, 403, 204, 204), path="/api/v1/photos/{delete_target_{role}}"
    ),
    ("/api/v1/photos/<int:photo_id>/faces", "GET"): Case(
        staff(401, 403, 200, 200), path="/api/v1/photos/{public_photo}/faces"
    ),
    ("/api/v1/photos/<int:photo_id>/blur", "POST"): Case(
        staff(401, 403, 200, 200),
        path="/api/v1/photos/{public_photo}/blur",
        json={"boxes": [{"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}]},
    ),
    # the resource API: lists and reads follow the visibility rule, writes need the editor permission
    ("/api/v1/events", "GET"): Case(everyone(200)),
    ("/api/v1/events/<event>", "GET"): Case(STAFF_ONLY, path="/api/v1/events/matrix-hidden"),
    ("/api/v1/events/<event>", "PATCH"): Case(
        staff(401, 403, 200, 200), path=f"/api/v1/events/{MATRIX_EVENT}", json={"location": "Brussels, Square"}
    ),
    ("/api/v1/events/<event>", "DELETE"): Case(staff(401, 403, 204, 204), path="/api/v1/events/{empty_event_{role}}"),
    ("/api/v1/events/<event>/albums", "GET"): Case(STAFF_ONLY, path="/api/v1/events/matrix-hidden/albums"),
    ("/api/v1/albums/<album>", "PATCH"): Case(
        staff(401, 403, 200, 200), path="/api/v1/albums/matrix-other", json={"description": "Other photos"}
    ),
    ("/api/v1/albums/<album>", "DELETE"): Case(staff(401, 403, 204, 204), path="/api/v1/albums/{empty_album_{role}}"),
    ("/api/v1/albums/<album>/photos", "GET"): Case(STAFF_ONLY, path="/api/v1/albums/matrix-private/photos"),
    ("/api/v1/search", "GET"): Case(STAFF_ONLY, path="/api/v1/search?q=matrix&event=matrix-hidden"),
    ("/api/v1/events/<event>/reports", "GET"): Case(STAFF_ONLY, path="/api/v1/events/matrix-hidden/reports"),
    ("/api/v1/events/<event>/reports", "POST"): Case(
        staff(401, 403, 201, 201),
        path=f"/api/v1/events/{MATRIX_EVENT}/reports",
        json={"title": "Matrix report", "language": "en", "body": "Hello."},
    ),
    # a draft: photographers read published reports only
    ("/api/v1/events/<event>/reports/<report>", "GET"): Case(
        STAFF_ONLY, path="/api/v1/events/matrix-hidden/reports/draft-report"
    ),
    ("/api/v1/events/<event>/reports/<report>", "PATCH"): Case(
        staff(401, 403, 200, 200),
        path="/api/v1/events/matrix-hidden/reports/draft-report",
        json={"body": "Not yet, still."},  # stays a draft
    ),
    ("/api/v1/events/<event>/reports/<report>", "DELETE"): Case(
        staff(401, 403, 204, 204), path=f"/api/v1/events/{MATRIX_EVENT}/reports/{{report_{{role}}}}"
    ),
    # --- the programme: editors import and edit it; the sessions of a hidden event are staff-only --
    ("/api/v1/events/<event>/schedule", "POST"): Case(
        staff(401, 403, 200, 200),
        path="/api/v1/events/matrix-hidden/schedule",
        headers={"Content-Type": "text/calendar"},
        body=b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:matrix\r\nBEGIN:VEVENT\r\nUID:matrix@x\r\n"
        b"DTSTART:20240507T100000\r\nSUMMARY:Imported\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ),
    ("/api/v1/events/<event>/schedule", "GET"): Case(STAFF_ONLY, path="/api/v1/events/matrix-hidden/schedule"),
    ("/api/v1/events/<event>/sessions", "POST"): Case(
        staff(401, 403, 201, 201),
        path="/api/v1/events/matrix-hidden/sessions",
        json={"title": "Added", "starts_at": "2024-05-07T12:00:00Z", "ends_at": "2024-05-07T13:00:00Z"},
    ),
    ("/api/v1/events/<event>/sessions/<session>", "GET"): Case(
        STAFF_ONLY, path="/api/v1/events/matrix-hidden/sessions/matrix-session"
    ),
    ("/api/v1/events/<event>/sessions/<session>", "PATCH"): Case(
        staff(401, 403, 200, 200), path="/api/v1/events/matrix-hidden/sessions/matrix-session", json={"room": "B"}
    ),
    ("/api/v1/events/<event>/sessions/<session>", "DELETE"): Case(
        staff(401, 403, 204, 204), path="/api/v1/events/matrix-hidden/sessions/matrix-delete-{role}"
    ),
    # --- resumable uploads (tus): whoever may upload starts one; an upload is its owner's only --
    ("/api/v1/uploads/", "POST"): Case(
        staff(401, 201, 201, 201),
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": "100", "Upload-Metadata": "album bWF0cml4LXB1YmxpYw=="},
    ),
    ("/api/v1/uploads/<key>", "GET"): Case(staff(401, 404, 404, 404), path=f"/api/v1/uploads/{TUS_KEY}"),
    ("/api/v1/uploads/<key>", "PATCH"): Case(
        staff(401, 404, 404, 404),
        path=f"/api/v1/uploads/{TUS_KEY}",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    ),
    ("/api/v1/uploads/<key>", "DELETE"): Case(
        staff(401, 404, 404, 404), path=f"/api/v1/uploads/{TUS_KEY}", headers={"Tus-Resumable": "1.0.0"}
    ),
    # Direct uploads need S3; the matrix world keeps originals in a folder: 409 for whoever may upload.
    ("/api/v1/albums/<album>/direct-uploads", "POST"): Case(
        staff(401, 409, 409, 409),
        path="/api/v1/albums/matrix-public/direct-uploads",
        json={"filename": "a.jpg", "size": 100, "sha256": "a" * 64},
    ),
    ("/api/v1/direct-uploads/<key>/sign", "POST"): Case(
        staff(401, 409, 409, 409),
        path=f"/api/v1/direct-uploads/{TUS_KEY}/sign",
        json={"method": "PUT", "upload_id": "abc", "part_number": 1},
    ),
    ("/api/v1/direct-uploads/<key>/complete", "POST"): Case(
        staff(401, 409, 409, 409),
        path=f"/api/v1/direct-uploads/{TUS_KEY}/complete",
        json={"parts": [{"number": 1, "etag": '"abc"'}]},
    ),
}


def app_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def same_url(actual: str, expected: str) -> bool:
    """The same path and the same decoded query (however the query is percent-encoded)."""
    a, e = urlsplit(actual), urlsplit(expected)
    return (a.scheme, a.netloc, a.path, parse_qs(a.query)) == (e.scheme, e.netloc, e.path, parse_qs(e.query))


def is_api(rule: str) -> bool:
    return rule.startswith("/api/")


# --- the matrix app: one per database per worker, shared by all matrix cells ---------------------


@dataclass
class MatrixWorld:
    app: Flask
    sessions: dict[str, str]  # role → session cookie value
    tokens: dict[str, str]  # role → API token
    ids: dict[str, str]  # names used in Case.path → values


def jpeg(seed: int) -> bytes:
    """A small JPEG, different for every seed."""
    image = Image.new("RGB", (160, 120), ((seed * 67) % 256, (seed * 131) % 256, (seed * 29) % 256))
    image.putpixel((seed % 160, 0), (255 - (seed % 256), 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload_jpeg(client: FlaskClient, token: str, album: str, seed: int) -> TestResponse:
    return client.post(
        f"/api/v1/albums/{album}/photos",
        data={"file": (io.BytesIO(jpeg(seed)), f"matrix-{seed}.jpg")},
        headers={"Authorization": f"Bearer {token}"},
    )


def _populate(app: Flask, tokens: dict[str, str]) -> dict[str, str]:
    """Albums, photos (through the real upload API) and a draft report for the matrix."""
    with app.app_context():
        hidden = catalog.create_event(
            db.session,
            slug="matrix-hidden",
            title="Hidden",
            starts_on="2024-05-07",
            ends_on="2024-05-08",
            timezone="Europe/Brussels",
            actor=SYSTEM,
        )
        event = catalog.get_event(db.session, MATRIX_EVENT)
        albums.create_album(db.session, event=event, slug="matrix-public", title="Public", actor=SYSTEM)
        albums.create_album(db.session, event=event, slug="matrix-other", title="Other", actor=SYSTEM)
        albums.create_album(
            db.session, event=hidden, slug="matrix-private", title="Private", visibility="private", actor=SYSTEM
        )
        db.session.add(
            Report(
                event_id=hidden.id,
                slug="draft-report",
                title="Draft",
                language="en",
                body="Not yet.",
                status=ReportStatus.draft,
            )
        )
        sessions = ("matrix-session", "matrix-delete-editor", "matrix-delete-admin")
        for slug in (*sessions, "matrix-web-delete-editor", "matrix-web-delete-admin"):
            db.session.add(  # the programme of the hidden event: its session pages are staff-only too
                EventSession(
                    event=hidden,
                    slug=slug,
                    title="Session",
                    starts_at=datetime(2024, 5, 7, 8, tzinfo=UTC),
                    ends_at=datetime(2024, 5, 7, 9, tzinfo=UTC),
                )
            )
        for role in ("editor", "admin"):  # for the API's deletes: an empty event, an empty album, a report
            catalog.create_event(
                db.session,
                slug=f"matrix-empty-{role}",
                title="Empty",
                starts_on="2024-05-07",
                ends_on="2024-05-07",
                timezone="Europe/Brussels",
                actor=SYSTEM,
            )
            albums.create_album(db.session, event=event, slug=f"matrix-empty-{role}", title="Empty", actor=SYSTEM)
            db.session.add(Report(event_id=event.id, slug=f"matrix-report-{role}", title="Report", language="en"))
        db.session.commit()
    client = app.test_client()
    ids: dict[str, str] = {}
    targets = {
        "private_photo": "matrix-private",
        "public_photo": "matrix-public",
        "delete_target_editor": "matrix-public",
        "delete_target_admin": "matrix-public",
    }
    for action in BULK_ACTIONS:  # the management area's bulk actions
        targets.update({f"{action}_editor": "matrix-public", f"{action}_admin": "matrix-public"})
    for seed, (name, album) in enumerate(targets.items(), start=1000):
        response = upload_jpeg(client, tokens["editor"], album, seed)
        assert response.status_code == 201, response.get_data(as_text=True)
        ids[name] = str(response.get_json()["id"])
    for role in ROLES:  # roles refused before the lookup get the editor's (which the editor deletes)
        owner = role if role in ("editor", "admin") else "editor"
        ids[f"empty_event_{role}"] = ids[f"empty_album_{role}"] = f"matrix-empty-{owner}"
        ids[f"report_{role}"] = f"matrix-report-{owner}"
    # roles that are refused before the photo is looked up still need a number in the path
    ids["delete_target_anonymous"] = ids["delete_target_photographer"] = ids["public_photo"]
    for action in BULK_ACTIONS:
        ids[f"{action}_anonymous"] = ids[f"{action}_photographer"] = ids["public_photo"]
    with app.app_context():  # the photos to restore are in the bin
        for role in ("editor", "admin"):
            db.session.get(Photo, int(ids[f"bulk_restore_{role}"])).deleted_at = datetime.now(UTC)
        db.session.commit()
    with app.app_context():
        key = db.session.scalar(
            sa.select(Derivative.key).where(Derivative.photo_id == int(ids["private_photo"])).order_by(Derivative.id)
        )
        assert key is not None, "the upload made no derivative"
        ids["private_derivative"] = key.split("/", 1)[1]
        # Takedown requests ("other": nothing hidden) for the decisions, and a tombstone to lift.
        photo = db.session.get(Photo, int(ids["public_photo"]))
        for door in ("web", "api"):
            for role in ("editor", "admin"):
                request = TakedownRequest(photo_id=photo.id, sha256=photo.sha256, action="other", history=[])
                db.session.add(request)
                db.session.flush()
                ids[f"takedown_{door}_{role}"] = str(request.id)
            ids[f"takedown_{door}_anonymous"] = ids[f"takedown_{door}_photographer"] = ids[f"takedown_{door}_editor"]
        ids["tombstone"] = "ab" * 32
        db.session.add(Tombstone(sha256=ids["tombstone"]))
        db.session.commit()
    with app.app_context():  # the users page's target: a photographer with an API token, logged in nowhere
        target = make_user(Role.photographer, email="matrix-user-target@example.org")
        make_token(target)
        ids["user_target"] = str(target.id)
        ids["user_target_token"] = str(db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == target.id)))
    return ids


def _pg_schema_url(schema: str) -> str:
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module", params=DATABASES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatrixWorld]:
    tmp = tmp_path_factory.mktemp("roles")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'roles.db'}"
    else:
        schema = "gallery_roles_" + re.sub(r"\W", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))
        engine = sa.create_engine(parse_database_url(PG_URL or ""))
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        url = _pg_schema_url(schema)
    app = make_app(tmp, url, GALLERY_DERIVATIVE_SIZES="64,128")
    with app.app_context():
        db.create_all()
        users = {role.value: make_user(role) for role in Role}
        make_user(Role.editor, email=LOGIN_TARGET)
        tokens = {name: make_token(user) for name, user in users.items()}
        emails = {name: user.email for name, user in users.items()}
        catalog.create_event(
            db.session,
            slug=MATRIX_EVENT,
            title="Matrix",
            starts_on="2024-05-07",
            ends_on="2024-05-08",
            timezone="Europe/Brussels",
            actor=SYSTEM,
        )
        db.session.commit()
    ids = _populate(app, tokens)
    sessions = {}
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    for name, email in emails.items():
        client = app.test_client()
        login(client, email)
        cookie = client.get_cookie(cookie_name)
        assert cookie is not None
        sessions[name] = cookie.value
    try:
        yield MatrixWorld(app=app, sessions=sessions, tokens=tokens, ids=ids)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            engine = sa.create_engine(parse_database_url(PG_URL or ""))
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()


def client_as(world: MatrixWorld, role: str, *, own_session: bool = False) -> FlaskClient:
    """A browser logged in as ``role``: with the world's shared session, or with a login of its
    own (for logging out, which ends the session on the server)."""
    client = world.app.test_client()
    if role != "anonymous" and own_session:
        with world.app.app_context():
            email = db.session.scalar(sa.select(User.email).where(User.role == Role(role)).order_by(User.id))
        assert email is not None
        login(client, email)
    elif role != "anonymous":
        client.set_cookie(world.app.config["SESSION_COOKIE_NAME"], world.sessions[role])
    return client


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token for this client's session, from a page that has a form."""
    for page in ("/login", "/logout", "/"):
        response = client.get(page)
        if response.status_code == 200 and "csrf_token" in response.get_data(as_text=True):
            return csrf_from(response.get_data(as_text=True))
    raise AssertionError("no page with a CSRF token")


def call(world: MatrixWorld, rule: str, method: str, case: Case, role: str) -> TestResponse:
    client = client_as(world, role, own_session=rule == "/logout" and method == "POST")
    path = (case.path or rule).replace("{role}", role).format(**world.ids)
    headers: dict[str, str] = {}
    if is_api(rule) and role != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    headers.update(case.headers)
    kwargs: dict[str, Any] = {"headers": headers}
    if case.json is not None:
        kwargs["json"] = case.json
    if case.body is not None:
        kwargs["data"] = case.body
    if case.form is not None:

        def fill(text: str) -> str:
            return text.replace("{role}", role).format(**world.ids)

        kwargs["data"] = {**{fill(k): fill(v) for k, v in case.form.items()}, "csrf_token": csrf_token(client)}
    if case.upload:
        seed = sum(map(ord, f"{rule} {method}")) * 10 + ROLES.index(role)  # new bytes for every cell
        kwargs["data"] = {**kwargs.get("data", {}), case.upload: (io.BytesIO(jpeg(seed)), f"{role}.jpg")}
    return client.open(path, method=method, **kwargs)


CELLS = [(rule, method, role) for (rule, method) in MATRIX for role in ROLES]


@pytest.mark.parametrize(("rule", "method", "role"), CELLS, ids=[f"{m} {r} as {who}" for r, m, who in CELLS])
def test_role_matrix(world: MatrixWorld, rule: str, method: str, role: str) -> None:
    case = MATRIX[(rule, method)]
    expected = case.expect[role]
    response = call(world, rule, method, case, role)
    assert response.status_code == expected, (
        f"{method} {case.path or rule} as {role}: expected {expected}, got {response.status_code}\n"
        + response.get_data(as_text=True)[:500]
    )
    if role in case.location:
        assert same_url(response.headers["Location"], case.location[role]), response.headers["Location"]
    if is_api(rule) and response.status_code >= 400:
        body = response.get_json()
        assert response.mimetype == "application/json"
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
        assert body["error"]["message"]
        if response.status_code == 401:
            assert body["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if response.status_code == 403:
            assert body["error"]["code"] == "forbidden"
    if not is_api(rule) and response.status_code == 403:
        assert response.mimetype == "text/html"


def test_matrix_lists_every_route(tmp_path: Path) -> None:
    """Fails when a route exists that the matrix does not list: add a row to MATRIX."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'routes.db'}")
    routes = app_routes(app)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, "routes missing from the role matrix in tests/test_roles.py:\n" + "\n".join(
        f"    ({rule!r}, {method!r}): Case(...)," for rule, method in missing
    )
    assert not stale, f"the role matrix lists routes that no longer exist: {stale}"
    for case in MATRIX.values():
        assert set(case.expect) == set(ROLES)


def test_management_views_all_declare_a_permission(tmp_path: Path) -> None:
    """The management area is protected by the one mechanism (@requires), not by ad-hoc ifs."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'routes.db'}")
    unprotected = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("manage.") and not isinstance(getattr(view, "required_permission", None), Permission)
    ]
    assert unprotected == []


def test_role_permissions_are_nested() -> None:
    """Each role can do everything the one below it can."""
    photographer, editor, admin = (ROLE_PERMISSIONS[r] for r in (Role.photographer, Role.editor, Role.admin))
    assert photographer < editor < admin
    assert admin == frozenset(Permission)
    assert Permission.admin not in editor and Permission.edit_content not in photographer


# --- tokens and accounts that must not work -------------------------------------------------------

EVENT_BODY = {"title": "Token check", "starts_on": "2024-05-07", "ends_on": "2024-05-07", "timezone": "UTC"}


def post_event(client: FlaskClient, token: str) -> TestResponse:
    return client.post("/api/v1/events", json=EVENT_BODY, headers={"Authorization": f"Bearer {token}"})


def test_revoked_token_is_rejected(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    token = make_token(users["editor"])
    assert post_event(client, token).status_code == 201
    prefix = db.session.scalar(sa.select(ApiToken.prefix).where(ApiToken.token_hash == accounts._token_digest(token)))
    accounts.revoke_token(db.session, prefix=prefix, actor=SYSTEM)
    db.session.commit()
    response = post_event(client, token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1  # revoked, not deleted


@pytest.mark.parametrize(
    "header",
    ["Bearer gal_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "gal_token-without-scheme", "Bearer " + "x" * 500],
)
def test_bad_authorization_headers_are_401(client: FlaskClient, tokens: dict[str, str], header: str) -> None:
    response = client.post("/api/v1/events", json=EVENT_BODY, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_session_does_not_authenticate_the_api(client: FlaskClient, users: dict[str, User]) -> None:
    """The API takes bearer tokens only, so a logged-in browser cannot be made to call it (CSRF)."""
    login(client, users["admin"].email)
    assert client.get("/manage/").status_code == 200
    response = client.post("/api/v1/events", json=EVENT_BODY)
    assert response.status_code == 401


def deactivate(user: User) -> None:
    user.active = False
    db.session.commit()


def test_inactive_user_cannot_log_in(client: FlaskClient, users: dict[str, User]) -> None:
    deactivate(users["editor"])
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": users["editor"].email,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 401
    assert client.get("/manage/").status_code == 302


def test_inactive_user_loses_an_existing_session(client: FlaskClient, users: dict[str, User]) -> None:
    login(client, users["editor"].email)
    assert client.get("/manage/").status_code == 200
    deactivate(users["editor"])
    response = client.get("/manage/")
    assert response.status_code == 302
    assert same_url(response.headers["Location"], MANAGE_LOGIN)


def test_inactive_user_cannot_use_tokens(client: FlaskClient, users: dict[str, User], tokens: dict[str, str]) -> None:
    assert post_event(client, tokens["admin"]).status_code == 201
    deactivate(users["admin"])
    assert post_event(client, tokens["admin"]).status_code == 401


def test_role_change_takes_effect_immediately(
    client: FlaskClient, users: dict[str, User], tokens: dict[str, str]
) -> None:
    login(client, users["admin"].email)
    assert client.get("/manage/audit").status_code == 200
    users["admin"].role = Role.photographer
    db.session.commit()
    assert client.get("/manage/audit").status_code == 403
    assert post_event(client, tokens["admin"]).status_code == 403


def test_anonymous_manage_redirect_keeps_the_query(client: FlaskClient) -> None:
    response = client.get("/manage/audit?page=2")
    assert response.status_code == 302
    assert same_url(response.headers["Location"], "/login?next=%2Fmanage%2Faudit%3Fpage%3D2")


def test_login_sends_the_user_back_to_next(client: FlaskClient, users: dict[str, User]) -> None:
    page = client.get("/login?next=/manage/audit")
    response = client.post(
        "/login?next=/manage/audit",
        data={
            "email": users["admin"].email,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/audit"
