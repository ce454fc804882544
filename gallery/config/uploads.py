"""Settings of resumable and direct uploads (the uploads domain)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gallery.config.parsing import ConfigError, integer, text

# GALLERY_UPLOAD_SPOOL=s3: the web tier runs on several machines without a shared folder, so
# resumable uploads wait in the bucket (S3 multipart parts of at least 5 MiB, the unfinished
# tail as a small object); needs GALLERY_STORAGE_URL=s3://…
S3_SPOOL = "s3"


@dataclass(frozen=True)
class UploadSettings:
    # GALLERY_UPLOAD_SPOOL: where unfinished resumable uploads wait (a folder every web process
    # reaches); None: <instance folder>/uploads.  "s3": in the bucket (see S3_SPOOL).
    spool: Path | None = None
    # GALLERY_UPLOAD_EXPIRY_HOURS: an unfinished upload is swept by `gallery gc` after this long.
    expiry_hours: int = 24
    spool_in_s3: bool = False

    def describe(self) -> dict[str, str]:
        return {
            "GALLERY_UPLOAD_SPOOL": S3_SPOOL if self.spool_in_s3 else str(self.spool or ""),
            "GALLERY_UPLOAD_EXPIRY_HOURS": str(self.expiry_hours),
        }


def load(env: Mapping[str, str], *, storage_scheme: str | None = None) -> UploadSettings:
    """``storage_scheme`` (of GALLERY_STORAGE_URL) checks that ``GALLERY_UPLOAD_SPOOL=s3`` has a bucket."""
    spool = text(env, "GALLERY_UPLOAD_SPOOL")
    in_s3 = spool is not None and spool.strip().lower() == S3_SPOOL
    if in_s3 and storage_scheme is not None and storage_scheme != "s3":
        raise ConfigError(
            "GALLERY_UPLOAD_SPOOL=s3 keeps unfinished uploads in the S3 bucket, but GALLERY_STORAGE_URL is not "
            "s3://…: use a folder every web process reaches (or leave it unset on one machine)"
        )
    return UploadSettings(
        spool=Path(spool).expanduser().resolve() if spool and not in_s3 else None,
        expiry_hours=integer(env, "GALLERY_UPLOAD_EXPIRY_HOURS", 24, minimum=1, maximum=24 * 365),
        spool_in_s3=in_s3,
    )
