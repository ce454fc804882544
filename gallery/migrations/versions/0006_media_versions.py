"""per-photo media version, blur boxes, review-before-publish (issue 10).

* ``photos.media_version``: derivative keys become ``derivatives/<sha256>/<media_version>/<width>.<ext>``;
  every existing photo gets its own random version and its derivatives are copied to the new layout.
* ``photos.blur_boxes``: blurred areas (fractions of the upright original), NULL when not blurred.
* ``events.review_uploads``: "publish only after review".

Moving the derivatives needs the store: the migration runs inside the app (``flask db upgrade``),
whose storage it uses.  It is restartable: a photo that already has a version keeps it, a derivative
row already in the new layout is skipped, and each object is copied (read, hashed, written) before
its row points at it.  The old objects are not deleted here -- the schema change may still roll back
and the old rows would point at nothing -- they become untracked and ``gallery gc`` removes them
after its grace period (``gallery verify`` lists them meanwhile, which is not an error).  A
derivative whose old object is missing is dropped and its photo marked ``failed`` so that
``gallery reprocess`` renders it again.

Revision ID: 0006
Revises: 0005
"""

import hashlib
import io
import logging
import secrets

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

STORAGE_KEY = "gallery_storage"  # gallery.http.context.STORAGE_KEY (the app's store)
_CHUNK = 500
#: The column's server default: rows inserted without a version (raw SQL) get this one; the app
#: always gives a random one (gallery.models.new_media_version).
PLACEHOLDER = "0000000000000000"


def _storage():
    storage = current_app.extensions.get(STORAGE_KEY)
    if storage is None:
        raise RuntimeError("0006 moves derivatives in the store: run it inside the app (flask --app wsgi db upgrade)")
    return storage


def _copy(storage, old: str, new: str) -> bool:
    """Copy the object ``old`` to ``new``; False when ``old`` does not exist (and ``new`` neither)."""
    from gallery.storage import NotFound

    if storage.exists(new):
        return True
    try:
        with storage.open(old) as handle:
            data = handle.read()
    except NotFound:
        return False
    content_type = "image/webp" if new.endswith(".webp") else "image/jpeg"
    storage.put(
        new, io.BytesIO(data), sha256=hashlib.sha256(data).hexdigest(), content_type=content_type, size=len(data)
    )
    return True


def _rekey(conn, to_key) -> None:
    """Point every derivative row at ``to_key(sha256, version, key)`` (None: already there), copying the
    object first; rows whose object is missing are dropped and their photo marked failed."""
    storage = None
    rows = conn.execute(
        sa.text(
            "SELECT d.id, d.key, p.id, p.sha256, p.media_version FROM derivatives d JOIN photos p ON p.id = d.photo_id"
            " ORDER BY d.id"
        )
    ).all()
    moved = 0
    for derivative_id, key, photo_id, sha256, version in rows:
        new = to_key(sha256, version, key)
        if new is None or new == key:
            continue
        storage = storage or _storage()
        if _copy(storage, key, new):
            conn.execute(sa.text("UPDATE derivatives SET key = :key WHERE id = :id"), {"key": new, "id": derivative_id})
            moved += 1
        else:
            log.warning("derivative %s of photo %s is missing; the photo is marked for reprocessing", key, photo_id)
            conn.execute(sa.text("DELETE FROM derivatives WHERE id = :id"), {"id": derivative_id})
            conn.execute(
                sa.text("UPDATE photos SET status = 'failed', error = :error WHERE id = :id"),
                {
                    "id": photo_id,
                    "error": "derivatives missing when they moved to the versioned layout; run gallery reprocess",
                },
            )
    if moved:
        log.info("copied %d derivatives to their new keys; gallery gc removes the old ones", moved)


def _versioned(sha256: str, version: str, key: str):
    parts = key.split("/")
    if len(parts) == 3:  # derivatives/<sha256>/<name>
        return f"derivatives/{sha256}/{version}/{parts[2]}"
    return None


def _unversioned(sha256: str, version: str, key: str):
    parts = key.split("/")
    if len(parts) == 4:  # derivatives/<sha256>/<version>/<name>
        return f"derivatives/{sha256}/{parts[3]}"
    return None


def upgrade():
    conn = op.get_bind()
    # Plain ADD COLUMNs (NOT NULL with a default), never a batch: on SQLite a batch that copies a
    # table drops the old one, and with foreign keys on that deletes every child row (events →
    # albums → photos → derivatives).
    columns = {c["name"] for c in sa.inspect(conn).get_columns("photos")}
    if "media_version" not in columns:
        op.add_column(
            "photos", sa.Column("media_version", sa.String(length=32), nullable=False, server_default=PLACEHOLDER)
        )
    if "blur_boxes" not in columns:
        op.add_column("photos", sa.Column("blur_boxes", sa.JSON(), nullable=True))
    if "review_uploads" not in {c["name"] for c in sa.inspect(conn).get_columns("events")}:
        op.add_column("events", sa.Column("review_uploads", sa.Boolean(), nullable=False, server_default=sa.false()))

    # A random version per photo row: two rows holding the same bytes no longer share objects.
    while True:
        ids = list(
            conn.execute(
                sa.text("SELECT id FROM photos WHERE media_version = :p LIMIT :n"), {"p": PLACEHOLDER, "n": _CHUNK}
            ).scalars()
        )
        if not ids:
            break
        for photo_id in ids:
            conn.execute(
                sa.text("UPDATE photos SET media_version = :v WHERE id = :id"),
                {"v": secrets.token_hex(8), "id": photo_id},
            )
    _rekey(conn, _versioned)


def downgrade():
    conn = op.get_bind()
    # Photos holding the same bytes share the unversioned keys again (same renders, same bytes).
    _rekey(conn, _unversioned)
    # ALTER TABLE DROP COLUMN (SQLite 3.35+, PostgreSQL): no table copy, no cascade.
    op.drop_column("events", "review_uploads")
    op.drop_column("photos", "blur_boxes")
    op.drop_column("photos", "media_version")
