"""Settings of resumable and direct uploads (the uploads domain)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gallery.config.parsing import integer, text


@dataclass(frozen=True)
class UploadSettings:
    # GALLERY_UPLOAD_SPOOL: where unfinished resumable uploads wait (a folder every web process
    # reaches); None: <instance folder>/uploads.
    spool: Path | None = None
    # GALLERY_UPLOAD_EXPIRY_HOURS: an unfinished upload is swept by `gallery gc` after this long.
    expiry_hours: int = 24

    def describe(self) -> dict[str, str]:
        return {
            "GALLERY_UPLOAD_SPOOL": str(self.spool or ""),
            "GALLERY_UPLOAD_EXPIRY_HOURS": str(self.expiry_hours),
        }


def load(env: Mapping[str, str]) -> UploadSettings:
    spool = text(env, "GALLERY_UPLOAD_SPOOL")
    return UploadSettings(
        spool=Path(spool).expanduser().resolve() if spool else None,
        expiry_hours=integer(env, "GALLERY_UPLOAD_EXPIRY_HOURS", 24, minimum=1, maximum=24 * 365),
    )
