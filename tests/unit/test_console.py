"""The `gallery` console script (gallery/console.py): Flask's command line on the factory, with the gallery
commands at the top level; a configuration error is one line, not a traceback.  (Installed from the wheel:
tests/test_packaging.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_packaging import COMMANDS


def test_console_group_lists_flask_and_gallery_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gallery.console import cli

    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("GALLERY_LOG_LEVEL", "WARNING")
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed, result.output


def test_console_config_error_is_one_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gallery.console import cli

    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("GALLERY_STORAGE_URL", "ftp://x")
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code != 0
    assert "unsupported storage URL scheme 'ftp'" in result.output
    assert "Traceback" not in result.output


def test_every_gallery_command_is_also_at_the_top_level() -> None:
    from gallery.cli import gallery_cli
    from gallery.console import cli

    for name, command in gallery_cli.commands.items():
        assert cli.commands[name] is command, name


def test_a_process_entry_point_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gallery.console import create_app_or_exit

    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("GALLERY_ENV", "production")
    monkeypatch.delenv("GALLERY_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as info:
        create_app_or_exit()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Gallery configuration error: ") and "GALLERY_SECRET_KEY" in err
    assert err.count("\n") == 1


def test_a_process_entry_point_gives_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gallery.console import create_app_or_exit

    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("GALLERY_LOG_LEVEL", "WARNING")
    for name in ("GALLERY_ENV", "GALLERY_SECRET_KEY", "GALLERY_DATABASE_URL", "GALLERY_STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app_or_exit()
    assert set(app.blueprints) == {"web", "manage", "api", "embed"}
