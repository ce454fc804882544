"""deploy/: the example systemd units and nginx site run the documented commands with the shipped settings."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def _exec(name: str) -> list[str]:
    line = _unit(name)["Service"]["ExecStart"].replace("\\\n", " ")
    return shlex.split(line)


@pytest.mark.parametrize("name", ["gallery-web.service", "gallery-worker.service", "gallery-beat.service"])
def test_every_unit_runs_as_its_own_user_in_the_instance_folder_and_restarts(name: str) -> None:
    unit = _unit(name)
    service = unit["Service"]
    assert service["User"] == "gallery"
    assert service["WorkingDirectory"] == "/srv/gallery"
    assert service["EnvironmentFile"].endswith("/etc/gallery/gallery.env")
    assert service["Restart"] in ("on-failure", "always")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_web_runs_gunicorn_with_the_top_level_settings_file() -> None:
    argv = _exec("gallery-web.service")
    assert argv[0].endswith("/bin/gunicorn")
    config = argv[argv.index("-c") + 1]
    assert Path(config).name == "gunicorn.conf.py" and (ROOT / "gunicorn.conf.py").is_file()
    assert argv[-1] == "gallery:create_app()"
    # the metrics of every worker meet in one folder that starts empty
    service = _unit("gallery-web.service")["Service"]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/gallery-web" in service["Environment"]
    assert service["RuntimeDirectory"] == "gallery-web"


def test_worker_and_beat_run_the_documented_celery_commands() -> None:
    worker = _exec("gallery-worker.service")
    assert worker[0].endswith("/bin/celery") and worker[1:][:4] == ["-A", "gallery.worker", "worker", "-Q"]
    assert worker[5] == "gallery"
    beat = _exec("gallery-beat.service")
    assert beat[0].endswith("/bin/celery") and beat[1:4] == ["-A", "gallery.worker", "beat"]
    assert "/var/lib/gallery-beat/" in " ".join(beat)  # its schedule file in its StateDirectory
    assert _unit("gallery-beat.service")["Service"]["StateDirectory"] == "gallery-beat"


@pytest.mark.parametrize("name", ["gallery-worker.service", "gallery-beat.service"])
def test_background_work_yields_the_cpu_to_the_web_tier(name: str) -> None:
    """Celery runs at a lower priority than gunicorn: Nice within the service, CPUWeight between the
    services (each its own cgroup; the web unit keeps the default weight, 100)."""
    background = _unit(name)["Service"]
    web = _unit("gallery-web.service")["Service"]
    assert int(background["Nice"]) >= 5 and int(web.get("Nice", "0")) == 0
    assert int(background["CPUWeight"]) < int(web.get("CPUWeight", "100"))


def test_nginx_caches_immutable_web_sizes_but_never_private_ones() -> None:
    site = re.sub(r"#[^\n]*", "", (DEPLOY / "nginx-gallery.conf").read_text())  # directives only
    assert re.search(r"proxy_pass\s+http://gallery_web;", site)
    media = site[site.index("location /media/derivatives/") :]
    media = media[: media.index("}")]
    assert "proxy_cache gallery_media;" in media
    # nginx caches only what Gallery marks public; private answers (Cache-Control: private) never
    assert "proxy_ignore_headers" not in site
    assert "proxy_cache_valid" not in media  # Gallery's Cache-Control decides, nothing else
    assert re.search(r"location = /metrics\s*\{\s*deny all;", site)
    assert re.search(r"client_max_body_size\s+\d+m;", site)


def test_the_readme_points_at_the_examples() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ("gallery-web.service", "gallery-worker.service", "gallery-beat.service", "nginx-gallery.conf"):
        assert f"deploy/{name}" in readme, name
