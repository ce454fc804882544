"""`gallery config` (gallery/cli/config.py): the effective settings, secrets masked."""

from __future__ import annotations

from pathlib import Path

from gallery.app import create_app


def test_config_command_prints_the_effective_configuration(tmp_path: Path) -> None:
    app = create_app(
        {
            "GALLERY_ENV": "testing",
            "GALLERY_INSTANCE_PATH": str(tmp_path),
            "GALLERY_SECRET_KEY": "k" * 40,
            "GALLERY_MAX_UPLOAD_MB": "77",
            "GALLERY_DATABASE_URL": "postgres://g:topsecretpw@db/g",
            "GALLERY_LOG_LEVEL": "WARNING",
        }
    )
    result = app.test_cli_runner().invoke(args=["gallery", "config"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "GALLERY_MAX_UPLOAD_MB=77" in lines
    assert "GALLERY_DATABASE_URL=postgresql+psycopg://g:***@db/g" in lines
    assert "topsecretpw" not in result.output
