"""Uploading bytes that are already in the album answers 200 with the existing photo, but only
with what the uploader may see of it: the photo as ``GET /api/v1/photos/<id>`` would show it
to them (their own photos, or an album they may read), else just ``id``, ``sha256`` and
``status``, which the uploader already knows or learns by uploading."""

from __future__ import annotations

import io

from PIL import Image

from tests.ingest.conftest import make_album, upload

MINIMAL = {"id", "sha256", "status"}


def captioned_jpeg(caption: str, colour: tuple[int, int, int]) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = caption  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_duplicate_in_an_album_the_uploader_cannot_read_shows_only_id_sha_status(app, client, tokens):
    private = make_album("board-meeting", visibility="private")
    data = captioned_jpeg("Minister X, off the record", (5, 6, 7))
    original = upload(client, tokens["editor"], private.slug, data, filename="minister-x-secret.jpg")
    assert original.status_code == 201
    full = original.get_json()
    assert full["caption"] == "Minister X, off the record"

    duplicate = upload(client, tokens["photographer"], private.slug, data, filename="mine.jpg")
    assert duplicate.status_code == 200, duplicate.get_data(as_text=True)
    body = duplicate.get_json()
    assert set(body) == MINIMAL
    assert body == {"id": full["id"], "sha256": full["sha256"], "status": full["status"]}
    text = duplicate.get_data(as_text=True)
    assert "Minister" not in text and "minister-x-secret" not in text
    # the photographer cannot read it through its own URL either: the answers agree
    own_view = client.get(f"/api/v1/photos/{full['id']}", headers={"Authorization": f"Bearer {tokens['photographer']}"})
    assert own_view.status_code == 404

    # an Idempotency-Key replay gives the same restricted answer
    for _ in range(2):
        keyed = upload(client, tokens["photographer"], private.slug, data, headers={"Idempotency-Key": "dup-1"})
        assert keyed.status_code == 200 and set(keyed.get_json()) == MINIMAL


def test_duplicate_answers_in_full_to_whoever_may_see_the_photo(app, client, tokens):
    private = make_album("closed", visibility="private")
    public = make_album("open")
    data = captioned_jpeg("A speaker", (9, 9, 9))
    # the photographer's own photo in a private album: theirs to see
    mine = upload(client, tokens["photographer"], private.slug, data, filename="speaker.jpg")
    assert mine.status_code == 201
    again = upload(client, tokens["photographer"], private.slug, data)
    assert again.status_code == 200 and again.get_json()["caption"] == "A speaker"
    assert again.get_json()["filename"] == "speaker.jpg"
    # editors may read every album
    editor = upload(client, tokens["editor"], private.slug, data)
    assert editor.status_code == 200 and editor.get_json()["caption"] == "A speaker"
    # someone else's photo in a public album: readable by everyone, so the full answer
    other = captioned_jpeg("On stage", (1, 2, 3))
    assert upload(client, tokens["editor"], public.slug, other).status_code == 201
    seen = upload(client, tokens["photographer"], public.slug, other)
    assert seen.status_code == 200 and seen.get_json()["caption"] == "On stage"
