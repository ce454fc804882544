"""Settings of consent and takedown (the consent domain): automatic hiding of reported photos,
the CDN purge hook and the e-mail notices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gallery.config.parsing import ConfigError, flag, http_url, integer, mask_password, text


@dataclass(frozen=True)
class ConsentSettings:
    # GALLERY_TAKEDOWN_AUTOHIDE: a new hide, blur or erase request hides the photo at once.
    takedown_autohide: bool = True
    # GALLERY_TAKEDOWN_AUTOHIDE_PER_HOUR: site-wide automatic hides per hour; beyond it, requests queue.
    takedown_autohide_per_hour: int = 50
    # GALLERY_CDN_PURGE_URL: POSTed {"urls": [...]} with retired media URLs; None: no purge.
    cdn_purge_url: str | None = None
    # GALLERY_SMTP_URL (smtp://user:pass@host:port, smtps:// for TLS); None: no e-mail notices.
    smtp_url: str | None = None
    # GALLERY_MAIL_FROM: the sender of notices.
    mail_from: str = "gallery@localhost"

    def describe(self) -> dict[str, str]:
        return {
            "GALLERY_TAKEDOWN_AUTOHIDE": "true" if self.takedown_autohide else "false",
            "GALLERY_TAKEDOWN_AUTOHIDE_PER_HOUR": str(self.takedown_autohide_per_hour),
            "GALLERY_CDN_PURGE_URL": self.cdn_purge_url or "",
            "GALLERY_SMTP_URL": mask_password(self.smtp_url or ""),
            "GALLERY_MAIL_FROM": self.mail_from,
        }


def load(env: Mapping[str, str]) -> ConsentSettings:
    smtp = text(env, "GALLERY_SMTP_URL")
    if smtp is not None and not smtp.lower().startswith(("smtp://", "smtps://")):
        raise ConfigError(f"GALLERY_SMTP_URL={mask_password(smtp)!r}: use smtp://host:port (or smtps://)")
    return ConsentSettings(
        takedown_autohide=flag(env, "GALLERY_TAKEDOWN_AUTOHIDE", True),
        takedown_autohide_per_hour=integer(env, "GALLERY_TAKEDOWN_AUTOHIDE_PER_HOUR", 50, minimum=0, maximum=1_000_000),
        cdn_purge_url=http_url("GALLERY_CDN_PURGE_URL", text(env, "GALLERY_CDN_PURGE_URL")),
        smtp_url=smtp,
        mail_from=text(env, "GALLERY_MAIL_FROM") or "gallery@localhost",
    )
