"""The photo grid (gallery/manage/photos.py): per-photo saves (fetch), the whole grid as a plain form, paging,
photographers' own photos only, bulk credit / move / delete, the bin and restore."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, AuditLog, Photo, PhotoStatus
from tests.unit.manage.conftest import START, World, add_photo, audit_actions, fresh, token

JSON = {"Accept": "application/json"}


def save_one(client: FlaskClient, photo_id: int, **fields: str) -> object:
    return client.post(f"/manage/photos/{photo_id}", data=fields, headers={**JSON, "X-CSRFToken": token(client)})


def grid_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<input type="hidden" name="photo" value="(\d+)">', html)]


def grid_form(client: FlaskClient, path: str = "/manage/albums/main/photos") -> dict[str, object]:
    """The grid form as a browser would send it, unchanged."""
    html = client.get(path).get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": token(client), "photo": [str(i) for i in grid_ids(html)]}
    for name, value in re.findall(r'<input type="hidden" name="(o-[a-z_]+-\d+)" value="([^"]*)">', html):
        data[name] = value
        data[name[2:]] = value
    return data


def test_grid_lists_every_photo_for_editors(app: Flask, world: World) -> None:
    failed = add_photo(world.album, status=PhotoStatus.failed, error="cannot decode the image")
    client = world.client(app, "editor")
    response = client.get("/manage/albums/main/photos")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    ids = grid_ids(html)
    assert set(ids) == set(world.editor_photos + world.own_photos + [failed.id])
    # tab order within a row: caption, alt text, credit
    row = html.split(f'id="photo-{world.editor_photos[0]}"', 1)[1]
    assert row.index("caption-") < row.index("alt_text-") < row.index("credit-") < row.index('name="selected"')
    assert "/media/derivatives/" in row and 'aria-live="polite"' in row
    assert "cannot decode the image" in html and "failed" in html
    assert (
        'formaction="/manage/albums/main/photos/move"' in html
        and 'formaction="/manage/albums/main/photos/delete"' in html
    )


def test_photographers_see_and_caption_only_their_own_photos(app: Flask, world: World) -> None:
    client = world.client(app, "photographer")
    html = client.get("/manage/albums/main/photos").get_data(as_text=True)
    assert set(grid_ids(html)) == set(world.own_photos)
    assert "photos/move" not in html and "photos/delete" not in html  # editors' actions
    mine, theirs = world.own_photos[0], world.editor_photos[0]
    response = save_one(client, mine, caption="My caption", alt_text="A speaker", credit="Me")
    assert response.status_code == 200 and response.get_json()["saved"] is True
    response = save_one(client, theirs, caption="Not mine")
    assert response.status_code == 403
    assert fresh(Photo, theirs).caption == "Caption 0"
    # the plain form with someone else's row: refused as a whole
    data = grid_form(client)
    data["photo"] = [str(mine), str(theirs)]
    data.update(
        {
            f"caption-{mine}": "Changed",
            f"o-caption-{mine}": "My caption",
            f"caption-{theirs}": "Not mine",
            f"o-caption-{theirs}": "Caption 0",
        }
    )
    assert client.post("/manage/albums/main/photos", data=data).status_code == 403
    assert fresh(Photo, mine).caption == "My caption" and fresh(Photo, theirs).caption == "Caption 0"


def test_save_one_photo_with_fetch(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    pid = world.editor_photos[1]
    response = save_one(
        client,
        pid,
        caption="  The opening\r\nplenary  ",
        alt_text="A full hall",
        credit="Jan",
        **{"o-caption": "Caption 1", "o-alt_text": "", "o-credit": ""},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "id": pid,
        "saved": True,
        "message": "Saved",
        "caption": "The opening\nplenary",
        "alt_text": "A full hall",
        "credit": "Jan",
    }
    photo = fresh(Photo, pid)
    assert (photo.caption, photo.alt_text, photo.credit) == ("The opening\nplenary", "A full hall", "Jan")
    entry = db.session.scalar(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert entry.action == "photo.update" and entry.user_id == world.users["editor"].id
    # same values again: nothing to save, nothing audited
    count = len(audit_actions())
    again = save_one(client, pid, caption="The opening\nplenary", **{"o-caption": "The opening\nplenary"})
    assert again.get_json()["saved"] is False and len(audit_actions()) == count


def test_save_one_photo_errors(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    pid = world.editor_photos[0]
    too_long = save_one(client, pid, alt_text="x" * 2001)
    assert too_long.status_code == 422
    assert too_long.get_json()["error"]["field"] == "alt_text"
    # someone else changed the caption since the page was loaded: 409, not overwritten
    db.session.get(Photo, pid).caption = "Changed by a colleague"
    db.session.commit()
    conflict = save_one(client, pid, caption="Mine", **{"o-caption": "Caption 0"})
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["current"]["caption"] == "Changed by a colleague"
    assert fresh(Photo, pid).caption == "Changed by a colleague"
    assert save_one(client, 999999, caption="x").status_code == 404
    db.session.get(Photo, pid).deleted_at = START
    db.session.commit()
    assert save_one(client, pid, caption="x").status_code == 404


def test_save_one_photo_without_javascript_redirects(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    pid = world.editor_photos[0]
    response = client.post(f"/manage/photos/{pid}", data={"caption": "Plain", "csrf_token": token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/manage/albums/main/photos#photo-{pid}"
    )
    assert fresh(Photo, pid).caption == "Plain"


def test_whole_grid_as_one_plain_form_saves_changed_rows(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    data = grid_form(client)
    a, b, c = world.editor_photos[:3]
    data[f"caption-{a}"] = "New caption A"
    data[f"credit-{b}"] = "Anna"
    # c: a colleague changed it after the page was loaded; the form still has the old value
    db.session.get(Photo, c).caption = "Colleague's caption"
    db.session.commit()
    updated_before = fresh(Photo, world.editor_photos[3]).updated_at
    response = client.post("/manage/albums/main/photos", data=data)
    assert response.status_code == 302
    assert fresh(Photo, a).caption == "New caption A" and fresh(Photo, b).credit == "Anna"
    assert fresh(Photo, c).caption == "Colleague's caption"  # untouched row: not overwritten
    assert fresh(Photo, world.editor_photos[3]).updated_at == updated_before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved 2 photos." in page


def test_grid_form_conflict_and_all_or_nothing_errors(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    a, b = world.editor_photos[:2]
    data = grid_form(client)
    db.session.get(Photo, a).caption = "Colleague's caption"
    db.session.commit()
    data[f"caption-{a}"] = "Mine"  # edited by both: a conflict
    data[f"caption-{b}"] = "Fine"
    response = client.post("/manage/albums/main/photos", data=data)
    assert response.status_code == 302
    assert fresh(Photo, a).caption == "Colleague's caption" and fresh(Photo, b).caption == "Fine"
    assert "changed by someone else meanwhile" in client.get(response.headers["Location"]).get_data(as_text=True)
    # one invalid row: nothing is saved, the form comes back with the typed values and the error
    data = grid_form(client)
    data[f"caption-{b}"] = "Would be fine"
    data[f"credit-{a}"] = "c" * 1001
    response = client.post("/manage/albums/main/photos", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="credit-{a}-error"' in html and "at most 1000 characters" in html
    assert "Would be fine" in html  # what the user typed is kept
    assert fresh(Photo, b).caption == "Fine"


def test_grid_pages_with_after_cursor(app: Flask, world: World) -> None:
    app.config["MANAGE_GRID_PAGE_SIZE"] = 4
    extra = [add_photo(world.album, taken_at=START + timedelta(hours=5, minutes=i)).id for i in range(3)]
    undated = add_photo(world.album).id
    client = world.client(app, "editor")
    seen: list[int] = []
    path = "/manage/albums/main/photos"
    for _ in range(5):
        html = client.get(path).get_data(as_text=True)
        seen += grid_ids(html)
        match = re.search(r'href="(/manage/albums/main/photos\?after=[^"]+)">Next photos', html)
        if not match:
            break
        path = match.group(1).replace("&amp;", "&")
    ordered = sorted(world.editor_photos + world.own_photos, key=lambda i: fresh(Photo, i).taken_at)
    assert seen == ordered + extra + [undated]
    assert client.get("/manage/albums/main/photos?after=garbage").status_code == 400


def test_a_full_page_saves_within_the_form_part_limit(app: Flask, world: World) -> None:
    """The plain form sends 7 fields a row (+ the checkbox): 100 rows stay under MAX_FORM_PARTS."""
    for i in range(100):
        add_photo(world.album, taken_at=START + timedelta(hours=6, seconds=i), commit=False)
    db.session.commit()
    client = world.client(app, "editor")
    data = grid_form(client)
    assert len(data["photo"]) == 100  # type: ignore[arg-type]
    data["selected"] = list(data["photo"])
    first = int(data["photo"][0])  # type: ignore[index]
    data[f"caption-{first}"] = "Saved from a full page"
    assert client.post("/manage/albums/main/photos", data=data).status_code == 302
    assert fresh(Photo, first).caption == "Saved from a full page"


def test_bulk_credit(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    chosen = world.editor_photos[:2] + world.own_photos[:1]
    response = client.post(
        "/manage/albums/main/photos/credit",
        data={"selected": [str(i) for i in chosen], "bulk_credit": " ECC / Anna Nowak ", "csrf_token": token(client)},
    )
    assert response.status_code == 302
    assert [fresh(Photo, i).credit for i in chosen] == ["ECC / Anna Nowak"] * 3
    assert fresh(Photo, world.editor_photos[2]).credit == ""
    assert audit_actions()[-3:] == ["photo.update"] * 3
    # nothing selected: the grid again with the message, 422
    response = client.post("/manage/albums/main/photos/credit", data={"bulk_credit": "x", "csrf_token": token(client)})
    assert response.status_code == 422 and "Select at least one photo first." in response.get_data(as_text=True)
    # photographers: their own photos only
    photographer = world.client(app, "photographer")
    mine = world.own_photos[1]
    ok = photographer.post(
        "/manage/albums/main/photos/credit",
        data={"selected": [str(mine)], "bulk_credit": "Me", "csrf_token": token(photographer)},
    )
    assert ok.status_code == 302 and fresh(Photo, mine).credit == "Me"
    refused = photographer.post(
        "/manage/albums/main/photos/credit",
        data={
            "selected": [str(mine), str(world.editor_photos[3])],
            "bulk_credit": "Mine now",
            "csrf_token": token(photographer),
        },
    )
    assert refused.status_code == 403
    assert fresh(Photo, mine).credit == "Me" and fresh(Photo, world.editor_photos[3]).credit == ""


def test_move_skips_files_the_target_already_has(app: Flask, world: World) -> None:
    a, b, c = world.editor_photos[:3]
    duplicate = add_photo(world.sibling, sha=fresh(Photo, b).sha256)  # the same file is already there
    deleted_copy = add_photo(world.sibling, sha=fresh(Photo, c).sha256, deleted_at=START)  # ...or in its bin
    album = db.session.get(Album, world.album.id)
    album.cover_photo_id = a
    db.session.commit()
    client = world.client(app, "editor")
    response = client.post(
        "/manage/albums/main/photos/move",
        data={"selected": [str(a), str(b), str(c)], "target": "sibling", "csrf_token": token(client)},
    )
    assert response.status_code == 302
    assert fresh(Photo, a).album_id == world.sibling.id
    assert fresh(Photo, b).album_id == world.album.id and fresh(Photo, c).album_id == world.album.id
    assert fresh(Album, world.album.id).cover_photo_id is None  # the cover left the album
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Moved 1 photo to “Sibling”." in page
    assert "Skipped 2 photos that “Sibling” already has" in page
    assert fresh(Photo, b).original_filename in page
    assert duplicate.id and deleted_copy.id
    assert audit_actions()[-1] == "photo.move"
    # to another event's album works too; to a missing album or the same album: 422
    assert (
        client.post(
            "/manage/albums/main/photos/move", data={"selected": [str(b)], "target": "far", "csrf_token": token(client)}
        ).status_code
        == 302
    )
    assert fresh(Photo, b).album_id == world.far.id
    for target in ("", "main", "no-such-album"):
        response = client.post(
            "/manage/albums/main/photos/move",
            data={"selected": [str(c)], "target": target, "csrf_token": token(client)},
        )
        assert response.status_code == 422, target
        assert "Choose another album" in response.get_data(as_text=True)


def test_delete_and_restore(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    a, b = world.editor_photos[:2]
    response = client.post(
        "/manage/albums/main/photos/delete", data={"selected": [str(a), str(b)], "csrf_token": token(client)}
    )
    assert response.status_code == 302
    assert fresh(Photo, a).deleted_at is not None and fresh(Photo, b).deleted_at is not None
    assert a not in grid_ids(client.get("/manage/albums/main/photos").get_data(as_text=True))
    bin_page = client.get("/manage/albums/main/deleted").get_data(as_text=True)
    assert f'value="{a}"' in bin_page and f'value="{b}"' in bin_page
    assert "gallery gc" in bin_page and "30 days" in bin_page
    response = client.post(
        "/manage/albums/main/deleted/restore", data={"selected": [str(a)], "csrf_token": token(client)}
    )
    assert response.status_code == 302
    assert fresh(Photo, a).deleted_at is None and fresh(Photo, b).deleted_at is not None
    assert audit_actions()[-1] == "photo.restore"
    assert "Restored 1 photo." in client.get(response.headers["Location"]).get_data(as_text=True)
    # a photo that is not in the bin cannot be "restored"; nothing selected is a 422
    response = client.post(
        "/manage/albums/main/deleted/restore", data={"selected": [str(a)], "csrf_token": token(client)}
    )
    assert response.status_code == 422
    response = client.post("/manage/albums/main/deleted/restore", data={"csrf_token": token(client)})
    assert response.status_code == 422 and "Select at least one photo first." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["move", "delete"])
def test_photographers_cannot_move_or_delete(app: Flask, world: World, path: str) -> None:
    client = world.client(app, "photographer")
    mine = world.own_photos[0]
    response = client.post(
        f"/manage/albums/main/photos/{path}",
        data={"selected": [str(mine)], "target": "sibling", "csrf_token": token(client)},
    )
    assert response.status_code == 403
    photo = fresh(Photo, mine)
    assert photo.album_id == world.album.id and photo.deleted_at is None
    assert client.get("/manage/albums/main/deleted").status_code == 403


def test_bad_ids_are_rejected(app: Flask, world: World) -> None:
    client = world.client(app, "editor")
    response = client.post(
        "/manage/albums/main/photos/delete", data={"selected": ["1; DROP"], "csrf_token": token(client)}
    )
    assert response.status_code == 422
    response = client.post("/manage/albums/main/photos", data={"photo": ["x"], "csrf_token": token(client)})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo).where(Photo.deleted_at.is_not(None))) == 0
