"""``flask --app wsgi gallery …`` commands.  Thin: parse, call a service, report."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from gallery.accounts import users as accounts
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.core.errors import GalleryError
from gallery.extensions import db
from gallery.models import Role
from gallery.storage import StorageError

gallery_cli = AppGroup("gallery", help="Gallery administration commands.")

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn domain errors into a one-line message and a non-zero exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GalleryError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        except StorageError as exc:
            db.session.rollback()
            raise click.ClickException(f"storage unavailable: {exc}") from None
        except (OperationalError, ProgrammingError) as exc:
            # SQLite says "no such table" with an OperationalError, PostgreSQL with a ProgrammingError.
            db.session.rollback()
            reason = (str(exc.orig).strip().splitlines() or [""])[0]
            raise click.ClickException(
                f"database error: {reason} (did you run `flask --app wsgi db upgrade`?)"
            ) from None

    return wrapper  # type: ignore[return-value]


def read_password(from_stdin: bool) -> str:
    """A password from one line of standard input, or asked for twice at the terminal."""
    if not from_stdin:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input")
    return password


@gallery_cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="API-token-only account (cannot log in to the web).")
@with_appcontext
@handle_errors
def create_user(email: str, role: str, name: str, password_stdin: bool, no_password: bool) -> None:
    """Create a user account."""
    password = None if no_password else read_password(password_stdin)
    user = accounts.create_user(db.session, email=email, role=role, password=password, name=name, actor=SYSTEM)
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email} (id {user.id})")


@gallery_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'lightroom export'.")
@with_appcontext
@handle_errors
def create_token(email: str, name: str) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with the e-mail {email!r}; create it with `gallery create-user`")
    if not user.active:
        raise click.ClickException(f"the user {user.email} is deactivated")
    issued = accounts.create_token(db.session, user=user, name=name, actor=SYSTEM)
    db.session.commit()
    click.echo(f"token {issued.token.prefix}… for {user.email} ({user.role.value}); it is shown only once:", err=True)
    click.echo(issued.secret)


@gallery_cli.command("revoke-token")
@click.argument("prefix")
@with_appcontext
@handle_errors
def revoke_token(prefix: str) -> None:
    """Revoke the API token whose displayed prefix is PREFIX."""
    token = accounts.revoke_token(db.session, prefix=prefix, actor=SYSTEM)
    db.session.commit()
    click.echo(f"revoked token {token.prefix}…")


@gallery_cli.command("create-event")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--starts-on", required=True, help="YYYY-MM-DD")
@click.option("--ends-on", required=True, help="YYYY-MM-DD")
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. Europe/Warsaw")
@click.option("--location", default="")
@click.option("--description", default="")
@with_appcontext
@handle_errors
def create_event(slug: str, title: str, starts_on: str, ends_on: str, tz: str, location: str, description: str) -> None:
    """Create an event."""
    event = catalog.create_event(
        db.session,
        slug=slug,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        timezone=tz,
        location=location,
        description=description,
        actor=SYSTEM,
    )
    db.session.commit()
    click.echo(f"created event {event.slug}: {event.title} ({event.starts_on} – {event.ends_on}, {event.timezone})")


@gallery_cli.command("create-album")
@click.argument("slug")
@click.option("--event", "event_slug", required=True)
@click.option("--title", required=True)
@click.option("--visibility", type=click.Choice(["public", "unlisted", "private"]), default="public")
@click.option("--description", default="")
@with_appcontext
@handle_errors
def create_album(slug: str, event_slug: str, title: str, visibility: str, description: str) -> None:
    """Create an album in an event."""
    event = catalog.get_event(db.session, event_slug)
    album = catalog.create_album(
        db.session,
        event=event,
        slug=slug,
        title=title,
        visibility=visibility,
        description=description,
        actor=SYSTEM,
    )
    db.session.commit()
    click.echo(f"created {album.visibility.value} album {album.slug} in {event.slug}")


@gallery_cli.command("storage-check")
@click.option("--create-bucket", is_flag=True, help="Create the S3 bucket if it does not exist.")
@with_appcontext
def storage_check(create_bucket: bool) -> None:
    """Write, read, presign and delete a test object in the configured store."""
    from gallery.app import get_storage
    from gallery.storage.check import run_storage_check

    storage = get_storage()
    click.echo(f"checking {storage.describe()}")
    ok = run_storage_check(storage, create_bucket=create_bucket, report=click.echo)
    if not ok:
        click.echo("storage check FAILED", err=True)
        sys.exit(1)
    click.echo("storage check passed")


@gallery_cli.command("config")
@with_appcontext
def show_config() -> None:
    """Print the effective configuration (secrets masked)."""
    for name, value in current_app.config["GALLERY_SETTINGS"].describe().items():
        click.echo(f"{name}={value}")


@gallery_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--album", "album_slug", required=True, help="Slug of the album to add the photos to.")
@click.option("--jobs", type=click.IntRange(1, 32), default=1, show_default=True, help="Files processed at once.")
@click.option("--as", "as_email", default=None, help="Record the photos as uploaded by this user.")
@with_appcontext
@handle_errors
def import_files(paths: tuple[Path, ...], album_slug: str, jobs: int, as_email: str | None) -> None:
    """Import photos from files and folders (recursively) into an album.

    Safe to run again after an interruption: files already in the album are
    recognised by their SHA-256 and skipped."""
    from gallery.photos.batch import FileResult, collect_files, run_import

    album = catalog.get_album(db.session, album_slug)
    user_id = None
    if as_email:
        user = accounts.find_user(db.session, as_email)
        if user is None:
            raise click.ClickException(f"no user with the e-mail {as_email!r}")
        user_id = user.id
    files = collect_files(paths)
    if not files:
        raise click.ClickException("no files found")
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"importing {len(files)} file(s) into {album.slug} with {jobs} job(s)")
    with click.progressbar(
        length=len(files), label="importing", show_pos=True, show_eta=True, file=sys.stderr
    ) as bar:

        def advance(result: FileResult) -> None:
            bar.update(1)

        summary = run_import(app, files, album=album, actor_user_id=user_id, jobs=jobs, on_result=advance)
    click.echo(
        f"added: {len(summary.added)}, already there: {len(summary.exists)}, rejected: {len(summary.rejected)}"
    )
    failed = [r for r in summary.added + summary.exists if r.status == "failed"]
    for result in failed:
        click.echo(f"  derivatives failed: {result.path} (photo {result.photo_id}); retry with `gallery reprocess`")
    if summary.deleted:
        click.echo(f"deleted earlier, not restored: {len(summary.deleted)} (an editor can restore them from the bin)")
    for result in summary.deleted:
        click.echo(f"  deleted earlier: {result.path}")
    for result in summary.rejected:
        click.echo(f"  rejected: {result.path}: {result.reason}")
    if summary.rejected:
        sys.exit(1)


@gallery_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds events.")
@with_appcontext
@handle_errors
def demo(if_empty: bool) -> None:
    """Load the demo event (European Cluster Conference 2024, Brussels)."""
    from sqlalchemy import select

    from gallery import demo as demo_service
    from gallery.models import Event
    from gallery.photos.process import process_photo

    if if_empty and db.session.scalar(select(Event.id).limit(1)) is not None:
        click.echo("the database already has events; demo not loaded")
        return
    if demo_service.demo_exists(db.session):
        click.echo(f"the demo event {demo_service.EVENT_SLUG} is already loaded")
        return
    settings = current_app.config["GALLERY_SETTINGS"]
    storage = current_app.extensions["gallery_storage"]
    with click.progressbar(length=len(demo_service.SHOTS), label="demo photos", file=sys.stderr) as bar:
        event, album, photo_ids = demo_service.load_demo(
            db.session,
            storage,
            tmp_dir=settings.instance_path / "tmp",
            max_pixels=settings.max_pixels,
            actor=SYSTEM,
            on_photo=lambda done, total: bar.update(1),
        )
    if settings.celery_broker_url is None:
        with click.progressbar(photo_ids, label="derivatives", file=sys.stderr) as bar_ids:
            for photo_id in bar_ids:
                process_photo(
                    db.session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels
                )
    else:
        from gallery.tasks import enqueue_derivatives

        for photo_id in photo_ids:
            enqueue_derivatives(photo_id)
    click.echo(f"demo loaded: /events/{event.slug} and /albums/{album.slug} ({len(photo_ids)} photos)")


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
    import time

    from gallery.archive import integrity as archive
    from gallery.config import ConfigError, parse_sizes
    from gallery.photos import stuck as processing
    from gallery.photos.process import process_photo

    if stuck and everything:
        raise click.UsageError("use either --stuck or --all")
    stuck_delta = _duration("--stuck-after", stuck_after)
    settings = current_app.config["GALLERY_SETTINGS"]
    storage = current_app.extensions["gallery_storage"]
    try:
        target_sizes = parse_sizes(sizes) if sizes is not None else settings.derivative_sizes
    except ConfigError as exc:
        raise click.ClickException(str(exc).replace("GALLERY_DERIVATIVE_SIZES", "--sizes")) from None
    album = catalog.get_album(db.session, album_slug) if album_slug else None
    if stuck:
        ids = [p.photo_id for p in processing.stuck_photos(db.session, stuck_after=stuck_delta, album=album)]
    else:
        ids = archive.photos_to_reprocess(db.session, album=album, sizes=target_sizes, everything=everything)
    if not ids:
        click.echo("nothing to reprocess")
        return
    click.echo(f"{len(ids)} photo(s) to reprocess at sizes {','.join(map(str, target_sizes))}")
    override = list(target_sizes) if tuple(target_sizes) != tuple(settings.derivative_sizes) else None
    results: dict[str, int] = {}
    if settings.celery_broker_url is not None:
        from gallery.tasks import enqueue_derivatives

        processing.restart_processing(db.session, ids)
        with click.progressbar(ids, label="queueing", file=sys.stderr) as bar:
            for photo_id in bar:
                enqueue_derivatives(photo_id, override)
        click.echo(f"queued {len(ids)} photo(s) for the Celery workers")
        if wait_seconds is None:
            return
        deadline = time.monotonic() + wait_seconds
        left = list(ids)
        with click.progressbar(length=len(ids), label="reprocessing", show_pos=True, file=sys.stderr) as bar:
            while True:
                still, done = archive.remaining_work(db.session, left, target_sizes)
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
        return
    with click.progressbar(ids, label="reprocessing", show_pos=True, file=sys.stderr) as bar:
        for photo_id in bar:
            status = process_photo(db.session, storage, photo_id, sizes=target_sizes, max_pixels=settings.max_pixels)
            results[status] = results.get(status, 0) + 1
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(results.items())))
    if results.get("failed"):
        sys.exit(1)


# --- archive integrity: verify, gc, export, import-bag ------------------------------------------


def _software() -> str:
    from importlib.metadata import PackageNotFoundError, version

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
    from gallery.app import get_storage
    from gallery.archive import integrity as archive
    from gallery.photos import stuck as processing

    stuck_delta = _duration("--stuck-after", stuck_after)
    storage = get_storage()
    album = catalog.get_album(db.session, album_slug) if album_slug else None
    targets = archive.verification_targets(db.session, album=album, sample=sample)
    click.echo(f"verifying {len(targets)} original(s) in {storage.describe()}")
    with click.progressbar(length=len(targets), label="verifying", show_pos=True, file=sys.stderr) as bar:
        report = archive.verify_archive(
            db.session, storage, targets, check_untracked=album is None, on_object=bar.update
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
            click.echo(f"{len(report.untracked)} untracked object(s) (no photo refers to them; `gallery gc` removes them):")
            for obj in report.untracked:
                click.echo(f"  untracked {obj.key} ({obj.size} bytes, stored {obj.last_modified:%Y-%m-%d %H:%M} UTC)")
        else:
            click.echo("no untracked objects")
    stuck = processing.stuck_photos(db.session, stuck_after=stuck_delta, album=album)
    for photo in stuck:
        processing.log.warning("verify: %s", photo.describe())
        click.echo(photo.describe())
    if report.problems:
        click.echo(f"FAILED: {len(report.problems)} original(s) missing or changed", err=True)
        sys.exit(2)
    if stuck:
        click.echo(f"FAILED: {len(stuck)} photo(s) stuck in processing", err=True)
        sys.exit(3)


def _duration(option: str, value: str) -> Any:
    from gallery.archive.integrity import parse_duration
    from gallery.core.errors import ValidationError

    try:
        return parse_duration(value)
    except ValidationError as exc:
        raise click.BadParameter(exc.message, param_hint=option) from None


@gallery_cli.command("gc")
@click.option("--grace", default="24h", show_default=True, help="Keep unreferenced objects younger than this (30m, 24h, 7d).")
@click.option(
    "--retention", default="30d", show_default=True, help="Purge photos deleted longer ago than this."
)
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would be done.")
@with_appcontext
@handle_errors
def gc(grace: str, retention: str, dry_run: bool) -> None:
    """Remove what nothing needs any more: photos deleted past the retention period (rows, then
    their objects unless shared), stored objects no row refers to (older than the grace period),
    stale S3 multipart uploads and stale temporary upload files.  Every deletion is printed."""
    from gallery.app import get_settings, get_storage
    from gallery.archive import integrity as archive

    grace_delta = _duration("--grace", grace)
    retention_delta = _duration("--retention", retention)
    storage = get_storage()
    click.echo(
        f"{'dry run: ' if dry_run else ''}collecting garbage in {storage.describe()} "
        f"(grace {archive.format_duration(grace_delta)}, retention {archive.format_duration(retention_delta)})"
    )
    result = archive.collect_garbage(
        db.session,
        storage,
        grace=grace_delta,
        retention=retention_delta,
        dry_run=dry_run,
        tmp_dir=get_settings().instance_path / "tmp",
        report=click.echo,
    )
    verb = "would free" if dry_run else "freed"
    click.echo(
        f"{'dry run: ' if dry_run else ''}{len(result.purged_photos)} photo(s) purged, "
        f"{len(result.deleted_objects)} object(s) deleted ({verb} {_size(result.freed_bytes)}), "
        f"{result.aborted_uploads} multipart upload(s) aborted, {len(result.removed_tmp_files)} temporary file(s) removed"
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
    from sqlalchemy import func, select

    from gallery.app import get_storage
    from gallery.archive import bagit
    from gallery.models import Photo

    album = catalog.get_album(db.session, album_slug)
    count = db.session.scalar(
        select(func.count(Photo.id)).where(Photo.album_id == album.id, Photo.deleted_at.is_(None))
    ) or 0
    with click.progressbar(length=count, label="exporting", show_pos=True, file=sys.stderr) as bar:
        result = bagit.export_album(
            db.session,
            get_storage(),
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
    from gallery.app import get_settings, get_storage
    from gallery.archive import bagit
    from gallery.photos.process import process_photo

    settings = get_settings()
    storage = get_storage()
    limits = bagit.PhotoLimits(
        max_pixels=settings.max_pixels, max_bytes=settings.max_upload_bytes, tmp_dir=settings.instance_path / "tmp"
    )
    try:
        total = _payload_count(bag_path)
        with click.progressbar(length=total, label="checking", show_pos=True, file=sys.stderr) as bar:
            bag = bagit.validate_bag(bag_path, limits=limits, on_file=bar.update)
    except bagit.InvalidBag as exc:
        raise click.ClickException(f"refused {bag_path.name}: {exc.message}; nothing was written") from None
    for warning in bag.warnings:
        click.echo(f"warning: {warning}", err=True)
    with click.progressbar(length=len(bag.photos), label="storing originals", show_pos=True, file=sys.stderr) as bar:
        result = bagit.import_bag(
            db.session, storage, bag, event_slug=event_slug, album_slug=album_slug, actor=SYSTEM, on_photo=bar.update
        )
    album_slug_done = result.album.slug
    event_slug_done = result.event.slug
    click.echo(
        f"imported {len(result.photo_ids)} photo(s) into album {album_slug_done} of "
        f"{'new' if result.event_created else 'existing'} event {event_slug_done} "
        f"({result.stored_objects} original(s) written to storage)"
    )
    if settings.celery_broker_url is not None:
        from gallery.tasks import enqueue_derivatives

        for photo_id in result.photo_ids:
            enqueue_derivatives(photo_id)
        click.echo(f"queued derivatives of {len(result.photo_ids)} photo(s) for the Celery workers")
        return
    failed = 0
    with click.progressbar(result.photo_ids, label="derivatives", show_pos=True, file=sys.stderr) as ids:
        for photo_id in ids:
            if process_photo(db.session, storage, photo_id, sizes=settings.derivative_sizes, max_pixels=settings.max_pixels) == "failed":
                failed += 1
    if failed:
        click.echo(f"derivatives failed for {failed} photo(s); their originals are safe; see `gallery reprocess`")
        sys.exit(1)


def _payload_count(path: Path) -> int:
    """The number of payload files in a zipped bag (for the progress bar); 0 if unreadable."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return sum(1 for i in zf.infolist() if "/data/" in f"/{i.filename}" and not i.is_dir())
    except (zipfile.BadZipFile, OSError):
        return 0


@gallery_cli.command("clock-correct")
@click.argument("event_slug")
@click.option("--make", default="", help="Camera make as in EXIF, e.g. Canon (only if makes share the model name).")
@click.option("--model", required=True, help="Camera model as in EXIF, e.g. 'NIKON Z 6_2'; any make unless --make.")
@click.option("--serial", default="", help="Only this body (default: every body of this model).")
@click.option("--offset", "offset_text", required=True, help="Total correction, e.g. +1h03m (camera was behind) or -45m.")
@click.option("--dry-run", is_flag=True, help="Show the new order without changing anything.")
@with_appcontext
@handle_errors
def clock_correct(event_slug: str, make: str, model: str, serial: str, offset_text: str, dry_run: bool) -> None:
    """Correct a camera's clock for an event: capture times are recomputed and
    albums re-sort; the original EXIF values are kept."""
    from gallery.photos import clock
    from gallery.photos.capture import event_time, event_zone

    event = catalog.get_event(db.session, event_slug)
    camera = clock.resolve_camera(db.session, event, clock.Camera(make.strip(), model.strip(), serial.strip()))
    total = clock.parse_offset(offset_text)
    changes = clock.preview(db.session, event, camera, total)
    if not changes:
        raise click.ClickException(f"no photos from {camera.label()} in {event.slug}")
    zone = event_zone(event)  # times on the event's clock, with its offset
    for item in changes:
        before, after = (event_time(when, zone) for when in (item.before, item.after))
        shown = " -> ".join(when.isoformat() if when else "-" for when in (before, after))
        click.echo(f"  {item.photo_id:>6} {item.filename[:40]:<40} {shown}")
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {len(changes)} photo(s) of {camera.label()} would change")
        return
    changed = clock.apply(db.session, event, camera, total, actor=SYSTEM)
    db.session.commit()
    click.echo(f"corrected {changed} photo(s) of {camera.label()} by {offset_text}")


from gallery.cli import accounts as cli_accounts  # noqa: E402,F401  (registers set-password, deactivate-user, activate-user)
