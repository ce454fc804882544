"""A package that ships: the wheel holds templates, static files (with the npm-built vendor
files), compiled catalogues and migrations; installed into a fresh virtual environment and run
from a folder outside the checkout, `gallery` migrates, loads the demo and serves it, as does
`gunicorn 'gallery:create_app()'`, and a Celery worker runs from the installed package."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALBUM = "ecc-2024-photo-report"
# Commands `gallery --help` must list: Flask's, Flask-Migrate's, and the gallery group's at top level.
COMMANDS = (
    "db",
    "run",
    "shell",
    "routes",
    "create-user",
    "create-token",
    "create-event",
    "create-album",
    "import",
    "demo",
    "verify",
    "gc",
    "export",
    "import-bag",
    "storage-check",
    "config",
    "gallery",
)


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that points at the checkout or its settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GALLERY_", "FLASK_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(GALLERY_LOG_LEVEL="WARNING", **extra)
    return env


# --- fast: the package itself ------------------------------------------------------------------------


def test_gallery_offers_create_app_lazily() -> None:
    code = (
        "import sys, gallery.media\n"
        "assert 'flask' not in sys.modules, 'importing gallery.media imported Flask'\n"
        "import gallery, gallery.app\n"
        "assert gallery.create_app is gallery.app.create_app\n"
        "assert 'create_app' in dir(gallery)\n"
        "try:\n    gallery.no_such_name\nexcept AttributeError:\n    print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


# --- slow: build, install into a fresh venv, run from elsewhere -----------------------------------------


@dataclass
class Installed:
    wheel: Path
    venv: Path
    python: Path
    gallery: Path
    site: Path


def build_wheel(source: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """``pip wheel`` of ``source`` into ``folder/wheelhouse`` (the build backend is installed: no isolation)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(folder / "wheelhouse"),
            str(source),
        ],
        cwd=folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("package")
    build = build_wheel(ROOT, base)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (base / "wheelhouse").glob("gallery-*.whl")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    )
    # The dependencies come from this test's own environment (installing them from the registry
    # on every run is slow); the package itself comes only from the wheel.
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_gallery_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        cwd=base,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return Installed(wheel=wheel, venv=venv, python=python, gallery=venv / "bin" / "gallery", site=site)


def run_in(
    folder: Path, installed: Installed, *args: str, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    env = env or clean_env()
    env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_wheel_holds_templates_static_vendor_catalogues_and_migrations(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))

    def files(folder: Path) -> set[str]:
        return {
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        }

    templates = files(ROOT / "templates")
    assert len(templates) >= 30
    assert {f"gallery/templates/{t}" for t in templates} <= names
    static = files(ROOT / "gallery" / "static")
    assert any(s.startswith("vendor/") for s in static), "run `make assets` first"
    assert {f"gallery/static/{s}" for s in static} <= names
    for vendor in (
        "photoswipe/photoswipe-lightbox.esm.js",
        "photoswipe/photoswipe.esm.js",
        "photoswipe/photoswipe.css",
        "justified-layout/justified-layout.esm.js",
        "uppy/uppy.esm.js",
        "uppy/dashboard.css",
    ):
        assert f"gallery/static/vendor/{vendor}" in names
    catalogues = {
        p.relative_to(ROOT).with_suffix(".mo").as_posix()
        for p in (ROOT / "gallery" / "translations").glob("*/LC_MESSAGES/*.po")
    }
    assert "gallery/translations/pl/LC_MESSAGES/messages.mo" in catalogues
    assert catalogues <= names
    migrations = {f"gallery/migrations/{m}" for m in files(ROOT / "gallery" / "migrations")}
    assert "gallery/migrations/env.py" in migrations and "gallery/migrations/alembic.ini" in migrations
    assert migrations <= names
    assert not any(n.startswith(("templates/", "tests/", "node_modules/")) for n in names)
    assert "License-Expression: AGPL-3.0-or-later" in metadata
    assert "gallery = gallery.console:main" in entry_points


@pytest.mark.slow
def test_gallery_is_imported_from_the_fresh_venv(installed: Installed, tmp_path: Path) -> None:
    result = run_in(
        tmp_path,
        installed,
        str(installed.python),
        "-c",
        "import gallery, gallery.app; print(gallery.__file__); print(gallery.app.template_folder())",
    )
    assert result.returncode == 0, result.stderr
    module, templates = result.stdout.split()
    assert Path(module) == installed.site / "gallery" / "__init__.py"
    assert Path(templates) == installed.site / "gallery" / "templates"


@pytest.mark.slow
def test_installed_gallery_help_lists_the_commands(installed: Installed, tmp_path: Path) -> None:
    result = run_in(tmp_path, installed, str(installed.gallery), "--help")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed, result.stdout
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, **headers: str) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


@pytest.fixture
def serve(installed: Installed) -> Iterator:
    started: list[subprocess.Popen[bytes]] = []

    def start(folder: Path, *args: str) -> str:
        port = free_port()
        env = clean_env()
        env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        log = open(folder / f"server-{port}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [a.replace("{port}", str(port)) for a in args], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"{args} exited: {(folder / f'server-{port}.log').read_text()}")
            try:
                get(f"{base}/healthz")
                return base
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"{args} did not answer: {(folder / f'server-{port}.log').read_text()}")

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def assert_serves_the_demo(base: str) -> None:
    status, ctype, page = get(f"{base}/albums/{ALBUM}", **{"Accept-Language": "en"})
    assert status == 200 and ctype.startswith("text/html")
    assert "European Cluster Conference 2024" in page and 'lang="en"' in page
    assert '<script type="module" src="/static/js/album.js' in page
    assert "/static/vendor/photoswipe/photoswipe.css" in page
    status, ctype, script = get(f"{base}/static/js/album.js")
    assert status == 200 and "javascript" in ctype and "../vendor/photoswipe/photoswipe-lightbox.esm.js" in script
    status, ctype, lightbox = get(f"{base}/static/vendor/photoswipe/photoswipe-lightbox.esm.js")
    assert status == 200 and "javascript" in ctype and "PhotoSwipe Lightbox" in lightbox
    status, ctype, _ = get(f"{base}/static/vendor/justified-layout/justified-layout.esm.js")
    assert status == 200 and "javascript" in ctype
    status, _, polish = get(f"{base}/albums/{ALBUM}", **{"Accept-Language": "pl"})
    assert status == 200 and 'lang="pl"' in polish
    assert "Wydarzenia" in polish and "Zamknij (Esc)" in polish  # breadcrumbs and lightbox labels


@pytest.mark.slow
def test_installed_gallery_migrates_loads_the_demo_and_serves_it(installed: Installed, tmp_path: Path, serve) -> None:
    site = tmp_path / "site"
    site.mkdir()
    upgrade = run_in(site, installed, "gallery", "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    # The instance folder defaults to ./instance in the working directory.
    assert (site / "instance" / "gallery.db").is_file()
    assert not (installed.site / "instance").exists() and not (installed.site / "gallery" / "instance").exists()
    demo = run_in(site, installed, "gallery", "demo")
    assert demo.returncode == 0, demo.stderr
    assert f"/albums/{ALBUM}" in demo.stdout
    # The old form still works with the console script's group.
    again = run_in(site, installed, "gallery", "gallery", "demo")
    assert again.returncode == 0 and "already loaded" in again.stdout, again.stderr

    assert_serves_the_demo(serve(site, "gallery", "run", "--host", "127.0.0.1", "--port", "{port}"))
    assert_serves_the_demo(
        serve(
            site,
            str(installed.python),
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            "127.0.0.1:{port}",
            "gallery:create_app()",
        )
    )


@pytest.mark.slow
def test_installed_celery_worker_makes_the_demo_derivatives(
    installed: Installed, tmp_path: Path, redis_db_url: str
) -> None:
    env = clean_env(GALLERY_CELERY_BROKER_URL=redis_db_url)
    assert run_in(tmp_path, installed, "gallery", "db", "upgrade", env=dict(env)).returncode == 0
    demo = run_in(tmp_path, installed, "gallery", "demo", env=dict(env))
    assert demo.returncode == 0, demo.stderr
    database = tmp_path / "instance" / "gallery.db"

    def statuses() -> dict[str, int]:
        with sqlite3.connect(database) as conn:
            return dict(conn.execute("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())

    assert statuses() == {"processing": 12}  # queued, not made in-process
    env["PATH"] = f"{installed.venv / 'bin'}{os.pathsep}{env['PATH']}"
    worker = subprocess.Popen(
        [
            str(installed.python),
            "-m",
            "celery",
            "-A",
            "gallery.worker",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "gallery",
            "-l",
            "WARNING",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and statuses() != {"ready": 12}:
            assert worker.poll() is None, worker.stdout.read().decode(errors="replace")  # type: ignore[union-attr]
            time.sleep(0.5)
        assert statuses() == {"ready": 12}
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.slow
def test_wheel_build_without_vendor_files_fails_clearly(tmp_path: Path) -> None:
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "vendor", "*.mo")
    source.mkdir()
    for name in ("pyproject.toml", "README.md", ".gitignore"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("gallery", "templates", "scripts"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    build = build_wheel(source, tmp_path)
    output = build.stdout + build.stderr
    assert build.returncode != 0, output
    assert "gallery/static/vendor" in output and "make assets" in output, output
    assert not list(tmp_path.rglob("*.whl"))
