"""Archive commands: verify, gc, reprocess, export, import-bag, storage-check."""

from __future__ import annotations

import sys
import time
import zipfile
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from gallery.archive import durations
from gallery.archive import gc as garbage
from gallery.archive import reprocess as rework
from gallery.archive import verify as verification
from gallery.archive.bagit import export as bag_export
from gallery.archive.bagit import importer as bag_import
from gallery.archive.bagit.format import InvalidBag
from gallery.archive.bagit.limits import PhotoLimits
from gallery.catalog import albums
from gallery.cli.group import gallery_cli, handle_errors, make_derivatives
from gallery.config import ConfigError, parse_sizes
from gallery.consent import requests as consent_requests
from gallery.core.audit import SYSTEM
from gallery.core.errors import ValidationError
from gallery.http import context
from gallery.models import Photo
from gallery.photos import stuck as processing
from gallery.photos.deletion import RETENTION
from gallery.storage.check import run_storage_check
from gallery.uploads import spool as upload_spool


def _software() -> str:
    try:
        return f"Gallery {version('gallery')}"
    except PackageNotFoundError:
        return "Gallery"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def _duration(option: str, value: str) -> timedelta:
    try:
        return durations.parse_duration(value)
    except ValidationError as exc:
        raise click.BadParameter(exc.message, param_hint=option) from None


def _payload_count(path: Path) -> int:
    """The number of payload files in a zipped bag (for the progress bar); 0 if unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(1 for i in zf.infolist() if "/data/" in f"/{i.filename}" and not i.is_dir())
    except (zipfile.BadZipFile, OSError):
        return 0


@gallery_cli.command("storage-check")
@click.option("--create-bucket", is_flag=True, help="Create the S3 bucket if it does not exist.")
@with_appcontext
def storage_check(create_bucket: bool) -> None:
    """Write, read, presign and delete a test object in the configured store."""
    storage = context.storage()
    click.echo(f"checking {storage.describe()}")
    base_url = context.settings().base_url
    if base_url is None and storage.describe().startswith("s3://"):
        click.echo("note: GALLERY_BASE_URL is not set, so the bucket's CORS rules for the upload page are not checked")
    site = urlsplit(base_url) if base_url else None
    origin = f"{site.scheme}://{site.netloc}" if site else None
    ok = run_storage_check(storage, create_bucket=create_bucket, site_origin=origin, report=click.echo)
    if not ok:
        click.echo("storage check FAILED", err=True)
        sys.exit(1)
    click.echo("storage check passed")


@gallery_cli.command("reprocess")
@click.option("--album", "album_slug", default=None, help="Only this album.")
@click.option(
    "--all", "everything", is_flag=True, help="Regenerate every photo, not only failed, unfinished or outdated ones."
)
@click.option(
    "--sizes", default=None, help="Long-edge sizes to render, e.g. 400,1024 (default: GALLERY_DERIVATIVE_SIZES)."
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.IntRange(0, 7 * 24 * 3600),
    default=None,
    help="With a Celery broker: show the workers' progress for up to this many seconds.",
)
@click.option("--stuck", is_flag=True, help="Only photos stuck in processing (see `gallery verify`).")
@click.option("--stuck-after", default="30m", show_default=True, help="With --stuck: processing for longer than this.")
@with_appcontext
@handle_errors
def reprocess(
    album_slug: str | None, everything: bool, sizes: str | None, wait_seconds: int | None, stuck: bool, stuck_after: str
) -> None:
    """Regenerate derivatives: failed, unfinished and outdated photos (derivatives that do not
    match the sizes), or all with --all, or only those stuck in processing with --stuck.
    Through the Celery workers when a broker is configured.

    Resumable: each photo is finished on its own; run it again after an interruption and only
    what is left is done."""
    if stuck and everything:
        raise click.UsageError("use either --stuck or --all")
    stuck_delta = _duration("--stuck-after", stuck_after)
    settings = context.settings()
    try:
        target_sizes = parse_sizes(sizes) if sizes is not None else settings.derivative_sizes
    except ConfigError as exc:
        raise click.ClickException(str(exc).replace("GALLERY_DERIVATIVE_SIZES", "--sizes")) from None
    album = albums.get_album(context.db_session(), album_slug) if album_slug else None
    if stuck:
        ids = [p.photo_id for p in processing.stuck_photos(context.db_session(), stuck_after=stuck_delta, album=album)]
    else:
        ids = rework.photos_to_reprocess(context.db_session(), album=album, sizes=target_sizes, everything=everything)
    if not ids:
        click.echo("nothing to reprocess")
        return
    click.echo(f"{len(ids)} photo(s) to reprocess at sizes {','.join(map(str, target_sizes))}")
    if settings.celery_broker_url is not None:
        processing.restart_processing(context.db_session(), ids)
    statuses = make_derivatives(ids, label="reprocessing", sizes=target_sizes)
    if statuses is not None:
        click.echo(", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
        if statuses.get("failed"):
            sys.exit(1)
        return
    click.echo(f"queued {len(ids)} photo(s) for the Celery workers")
    if wait_seconds is None:
        return
    results: dict[str, int] = {}
    deadline = time.monotonic() + wait_seconds
    left = list(ids)
    with click.progressbar(length=len(ids), label="reprocessing", show_pos=True, file=sys.stderr) as bar:
        while True:
            still, done = rework.remaining_work(context.db_session(), left, target_sizes)
            bar.update(len(left) - len(still))
            for status, count in done.items():
                results[status] = results.get(status, 0) + count
            left = still
            if not left or time.monotonic() >= deadline:
                break
            time.sleep(1.0)
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(results.items())) or "no photo finished yet")
    if left:
        click.echo(f"{len(left)} photo(s) not finished after {wait_seconds} s; the workers go on with them")
        sys.exit(1)
    if results.get("failed"):
        sys.exit(1)


@gallery_cli.command("verify")
@click.option("--album", "album_slug", default=None, help="Only the originals of this album.")
@click.option(
    "--sample",
    type=click.IntRange(1),
    default=None,
    help="Check only N photos: those verified longest ago (never verified first).",
)
@click.option(
    "--stuck-after", default="30m", show_default=True, help="Report photos processing for longer than this (exit 3)."
)
@with_appcontext
@handle_errors
def verify(album_slug: str | None, sample: int | None, stuck_after: str) -> None:
    """Re-hash every original in storage against the database.

    Reports missing and changed originals (exit status 2), photos stuck in `processing` for
    longer than --stuck-after (exit status 3, unless 2 applies) and untracked objects (listed
    for `gallery gc`; exit status 0).  Records when each photo was last verified.  Read-only
    apart from that, so it is safe on a live system."""
    stuck_delta = _duration("--stuck-after", stuck_after)
    storage = context.storage()
    album = albums.get_album(context.db_session(), album_slug) if album_slug else None
    targets = verification.verification_targets(context.db_session(), album=album, sample=sample)
    click.echo(f"verifying {len(targets)} original(s) in {storage.describe()}")
    with click.progressbar(length=len(targets), label="verifying", show_pos=True, file=sys.stderr) as bar:
        report = verification.verify_archive(
            context.db_session(), storage, targets, check_untracked=album is None, on_object=bar.update
        )
    click.echo(
        f"checked {report.objects_checked} original(s) of {report.photos_checked} photo(s), "
        f"{_size(report.bytes_read)}: {report.verified} verified, "
        f"{sum(p.kind == 'missing' for p in report.problems)} missing, "
        f"{sum(p.kind == 'changed' for p in report.problems)} changed"
    )
    for problem in report.problems:
        click.echo(problem.describe())
    if report.untracked_checked:
        if report.untracked:
            click.echo(
                f"{len(report.untracked)} untracked object(s) (no photo refers to them; `gallery gc` removes them):"
            )
            for obj in report.untracked:
                click.echo(f"  untracked {obj.key} ({obj.size} bytes, stored {obj.last_modified:%Y-%m-%d %H:%M} UTC)")
        else:
            click.echo("no untracked objects")
    stuck = processing.stuck_photos(context.db_session(), stuck_after=stuck_delta, album=album)
    for photo in stuck:
        processing.log.warning("verify: %s", photo.describe())
        click.echo(photo.describe())
    if report.problems:
        click.echo(f"FAILED: {len(report.problems)} original(s) missing or changed", err=True)
        sys.exit(2)
    if stuck:
        click.echo(f"FAILED: {len(stuck)} photo(s) stuck in processing", err=True)
        sys.exit(3)


@gallery_cli.command("gc")
@click.option(
    "--grace", default="24h", show_default=True, help="Keep unreferenced objects younger than this (30m, 24h, 7d)."
)
@click.option(
    "--retention",
    default=durations.format_duration(RETENTION),
    show_default=True,
    help="Purge photos deleted longer ago than this.",
)
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would be done.")
@with_appcontext
@handle_errors
def gc(grace: str, retention: str, dry_run: bool) -> None:
    """Remove what nothing needs any more: photos deleted past the retention period (rows, then
    their objects unless shared), stored objects no row refers to (older than the grace period),
    stale S3 multipart uploads, stale temporary upload files and expired resumable uploads.
    Every deletion is printed."""
    grace_delta = _duration("--grace", grace)
    retention_delta = _duration("--retention", retention)
    storage = context.storage()
    click.echo(
        f"{'dry run: ' if dry_run else ''}collecting garbage in {storage.describe()} "
        f"(grace {durations.format_duration(grace_delta)}, retention {durations.format_duration(retention_delta)})"
    )
    result = garbage.collect_garbage(
        context.db_session(),
        storage,
        grace=grace_delta,
        retention=retention_delta,
        dry_run=dry_run,
        tmp_dir=context.settings().instance_path / "tmp",
        report=click.echo,
        upload_spool=upload_spool.folder(context.settings()),
        upload_expiry=timedelta(hours=context.settings().uploads.expiry_hours),
    )
    verb = "would free" if dry_run else "freed"
    click.echo(
        f"{'dry run: ' if dry_run else ''}{len(result.purged_photos)} photo(s) purged, "
        f"{len(result.deleted_objects)} object(s) deleted ({verb} {_size(result.freed_bytes)}), "
        f"{result.aborted_uploads} multipart upload(s) aborted, "
        f"{len(result.removed_tmp_files)} temporary file(s) removed, "
        f"{len(result.expired_uploads)} expired resumable upload(s) removed"
    )
    forgotten = consent_requests.purge_requester_emails(context.db_session(), actor=SYSTEM, dry_run=dry_run)
    click.echo(
        f"{'dry run: ' if dry_run else ''}{forgotten} takedown requester e-mail address(es) "
        f"{'would be ' if dry_run else ''}forgotten (30 days after the decision)"
    )


@gallery_cli.command("export")
@click.argument("album_slug", metavar="ALBUM")
@click.argument("out", metavar="OUT.zip", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--organization", default="Gallery", show_default=True, help="Source-Organization in bag-info.txt.")
@click.option("--overwrite", is_flag=True, help="Replace OUT.zip if it exists.")
@with_appcontext
@handle_errors
def export_album(album_slug: str, out: Path, organization: str, overwrite: bool) -> None:
    """Export an album as a zipped BagIt bag: the originals (bit-exact, including any GPS data
    they carry), data/metadata.json with every field, manifests and bag-info.txt."""
    album = albums.get_album(context.db_session(), album_slug)
    count = (
        context.db_session().scalar(
            select(func.count(Photo.id)).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
        )
        or 0
    )
    with click.progressbar(length=count, label="exporting", show_pos=True, file=sys.stderr) as bar:
        result = bag_export.export_album(
            context.db_session(),
            context.storage(),
            album=album,
            out=out,
            organization=organization,
            software=_software(),
            overwrite=overwrite,
            on_photo=bar.update,
        )
    click.echo(f"exported {result.photos} photo(s), {_size(result.payload_bytes)} to {result.path}")
    click.echo("the bag contains the originals' location data: keep it private")


@gallery_cli.command("import-bag")
@click.argument("bag_path", metavar="BAG.zip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event-slug", default=None, help="Put the album in this event (created from the bag if missing).")
@click.option("--album-slug", default=None, help="Import the album under this slug instead of the bag's.")
@with_appcontext
@handle_errors
def import_bag(bag_path: Path, event_slug: str | None, album_slug: str | None) -> None:
    """Restore an album from a bag made by `gallery export`, bit-exact.

    The whole bag is validated first (manifests, every checksum, Payload-Oxum, metadata, size
    limits, every photo as an upload would be); an invalid bag is refused and nothing is written."""
    settings = context.settings()
    storage = context.storage()
    limits = PhotoLimits(
        max_pixels=settings.max_pixels, max_bytes=settings.max_upload_bytes, tmp_dir=settings.instance_path / "tmp"
    )
    try:
        total = _payload_count(bag_path)
        with click.progressbar(length=total, label="checking", show_pos=True, file=sys.stderr) as bar:
            bag = bag_import.validate_bag(bag_path, limits=limits, on_file=bar.update)
    except InvalidBag as exc:
        raise click.ClickException(f"refused {bag_path.name}: {exc.message}; nothing was written") from None
    for warning in bag.warnings:
        click.echo(f"warning: {warning}", err=True)
    with click.progressbar(length=len(bag.photos), label="storing originals", show_pos=True, file=sys.stderr) as bar:
        result = bag_import.import_bag(
            context.db_session(),
            storage,
            bag,
            event_slug=event_slug,
            album_slug=album_slug,
            actor=SYSTEM,
            on_photo=bar.update,
        )
    album_slug_done = result.album.slug
    event_slug_done = result.event.slug
    click.echo(
        f"imported {len(result.photo_ids)} photo(s) into album {album_slug_done} of "
        f"{'new' if result.event_created else 'existing'} event {event_slug_done} "
        f"({result.stored_objects} original(s) written to storage)"
    )
    statuses = make_derivatives(result.photo_ids, label="derivatives")
    if statuses is None:
        click.echo(f"queued derivatives of {len(result.photo_ids)} photo(s) for the Celery workers")
        return
    failed = statuses["failed"]
    if failed:
        click.echo(f"derivatives failed for {failed} photo(s); their originals are safe; see `gallery reprocess`")
        sys.exit(1)
