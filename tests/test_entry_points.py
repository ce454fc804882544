"""The real entry points, run as processes: `python -m flask --app wsgi ...`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.unit.cli.conftest import EVENT_ARGS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_flask_entry_point_migrates_and_creates_an_event(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update({"GALLERY_INSTANCE_PATH": str(tmp_path / "instance"), "GALLERY_LOG_LEVEL": "WARNING"})

    def flask(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    upgrade = flask("db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    created = flask("gallery", "create-event", "ecc-2024", *EVENT_ARGS)
    assert created.returncode == 0, created.stderr
    assert "created event ecc-2024" in created.stdout

    with sqlite3.connect(tmp_path / "instance" / "gallery.db") as conn:
        rows = conn.execute("SELECT slug, timezone FROM events").fetchall()
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert rows == [("ecc-2024", "Europe/Brussels")]
    assert len(version) == 1


def _flask(args: list[str], env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update({"GALLERY_INSTANCE_PATH": str(tmp_path / "instance"), "GALLERY_LOG_LEVEL": "WARNING"})
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_flask_cli_refuses_production_without_secret_key(tmp_path: Path) -> None:
    result = _flask(["gallery", "config"], {"GALLERY_ENV": "production"}, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "GALLERY_SECRET_KEY is required when GALLERY_ENV=production" in output
    assert "Traceback" not in output
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_the_real_entry_point_says_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update({"GALLERY_INSTANCE_PATH": str(tmp_path), "GALLERY_ENV": "production", "GALLERY_SECRET_KEY": "k" * 40})
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "gallery", "config"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in output, output
    assert "GALLERY_BASE_URL is required when GALLERY_ENV=production" in output
