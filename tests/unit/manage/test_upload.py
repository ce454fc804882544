"""The album upload page (gallery/manage/upload.py): plain multi-file form (no JavaScript) and the per-file
JSON answers the drag-and-drop script uses; CSRF and roles enforced."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Photo, Role
from tests.archive.conftest import make_album
from tests.conftest import csrf_from, login, make_user
from tests.unit.uploads.conftest import archive_schemas, make_instance, moto_endpoint, s3_instance

__all__ = ["archive_schemas", "make_instance", "moto_endpoint", "s3_instance"]  # fixtures of the S3 page test


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(out, "JPEG")
    return out.getvalue()


def test_plain_form_uploads_many_files_with_per_file_results(client, users, album):
    login(client, users["photographer"].email)
    page = client.get(f"/manage/albums/{album.slug}/upload")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'type="file"' in html and "multiple" in html and 'enctype="multipart/form-data"' in html
    token = csrf_from(html)
    response = client.post(
        f"/manage/albums/{album.slug}/upload",
        data={
            "csrf_token": token,
            "files": [
                (io.BytesIO(jpeg((255, 0, 0))), "czerwone.jpg"),
                (io.BytesIO(jpeg((0, 255, 0))), "zielone.jpg"),
                (io.BytesIO(jpeg((255, 0, 0))), "again.jpg"),
                (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), "evil.jpg"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Added: 2, already there: 1, rejected: 1" in html
    assert "czerwone.jpg" in html and "SVG" in html
    assert "<script>alert(1)</script>" not in html
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id))) == 2


def test_json_answers_for_the_drag_and_drop_script(client, users, album):
    login(client, users["editor"].email)
    token = csrf_from(client.get(f"/manage/albums/{album.slug}/upload").get_data(as_text=True))
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    ok = client.post(
        f"/manage/albums/{album.slug}/upload",
        data={"files": (io.BytesIO(jpeg((1, 2, 3))), "a.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200
    result = ok.get_json()["results"][0]
    assert result["outcome"] == "added" and result["status"] == "ready" and result["photo_id"]
    again = client.post(
        f"/manage/albums/{album.slug}/upload",
        data={"files": (io.BytesIO(jpeg((1, 2, 3))), "b.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert again.get_json()["results"][0]["outcome"] == "exists"
    bad = client.post(
        f"/manage/albums/{album.slug}/upload",
        data={"files": (io.BytesIO(b"GIF89a\x01\x00"), "c.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "GIF" in bad.get_json()["results"][0]["message"]


def test_csrf_and_roles(client, users, album):
    # Anonymous: to the login page.
    response = client.get(f"/manage/albums/{album.slug}/upload")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, users["photographer"].email)
    no_token = client.post(
        f"/manage/albums/{album.slug}/upload",
        data={"files": (io.BytesIO(jpeg((9, 9, 9))), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    db.session.rollback()
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert client.get("/manage/albums/no-such-album/upload").status_code == 404


# --- which way the page's Uppy sends the bytes, and the page's Content-Security-Policy -------------


def connect_src(response) -> str:
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return policy["connect-src"]


def test_with_local_originals_the_page_uses_tus_and_connects_to_itself_only(client, users, album):
    login(client, users["photographer"].email)
    page = client.get(f"/manage/albums/{album.slug}/upload")
    html = page.get_data(as_text=True)
    assert 'data-endpoint="/api/v1/uploads/"' in html and "data-direct-start" not in html
    assert connect_src(page) == "'self'"
    assert 'data-preparing="Preparing" data-checking="Checking the photo"' in html
    polish = client.get(f"/manage/albums/{album.slug}/upload", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert 'data-preparing="Przygotowywanie" data-checking="Sprawdzanie zdjęcia"' in polish


def test_with_originals_in_s3_the_page_sends_straight_to_the_bucket(s3_instance, moto_endpoint):
    with s3_instance.app_context():
        user = make_user(Role.photographer)
        make_album("s3-page")
        client = s3_instance.test_client()
        login(client, user.email)
        page = client.get("/manage/albums/s3-page/upload")
        html = page.get_data(as_text=True)
        assert 'data-direct-start="/api/v1/albums/s3-page/direct-uploads"' in html
        assert 'data-direct-sign="/api/v1/direct-uploads/__key__/sign"' in html
        assert 'data-direct-complete="/api/v1/direct-uploads/__key__/complete"' in html
        # The bucket's origin (the one its presigned URLs name) on this page only.
        assert connect_src(page) == f"'self' {moto_endpoint}"
        assert connect_src(client.get("/manage/")) == "'self'"
        token = csrf_from(html)
        refused = client.post(
            "/manage/albums/s3-page/upload",
            data={"csrf_token": token},
            content_type="multipart/form-data",
        )  # the page again (no file chosen), with the same policy
        assert refused.status_code == 400 and connect_src(refused) == f"'self' {moto_endpoint}"
