"""gallery/config/consent.py: takedown, purge-hook and e-mail settings."""

from __future__ import annotations

import pytest

from gallery.config.consent import ConsentSettings, load
from gallery.config.parsing import ConfigError


def test_defaults() -> None:
    assert load({}) == ConsentSettings()
    assert load({}).takedown_autohide is True and load({}).takedown_autohide_per_hour == 50


def test_values_and_masking() -> None:
    s = load({"GALLERY_TAKEDOWN_AUTOHIDE": "false", "GALLERY_SMTP_URL": "smtp://u:secret@127.0.0.1:2525"})
    assert s.takedown_autohide is False
    assert "secret" not in repr(s.describe())


def test_bad_smtp_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="GALLERY_SMTP_URL"):
        load({"GALLERY_SMTP_URL": "mail.example.org"})
