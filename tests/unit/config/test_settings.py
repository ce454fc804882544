"""Configuration: every contract variable is parsed, typed and validated at start-up,
and a bad value stops the application with a message a person can act on."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from gallery import config as config_module
from gallery.app import create_app
from gallery.config import ConfigError, load_settings

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    """A minimal environment: only the instance folder is set (no os.environ leaks in)."""
    return {"GALLERY_INSTANCE_PATH": str(tmp_path / "instance")}


def load(base_env: dict[str, str], **values: str):
    return load_settings({**base_env, **values})


def config_error(base_env: dict[str, str], **values: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(base_env, **values)
    return str(info.value)


# --- defaults -----------------------------------------------------------------------------------


def test_defaults_are_the_embedded_setup(base_env: dict[str, str], tmp_path: Path) -> None:
    s = load(base_env)
    instance = (tmp_path / "instance").resolve()
    assert s.env == "development"
    assert s.instance_path == instance
    assert s.database_url == f"sqlite:///{instance / 'gallery.db'}"
    assert s.storage_url == (instance / "media").as_uri()
    assert s.storage_scheme == "file"
    assert s.s3_endpoint_url is None
    assert s.public_media_url is None
    assert s.celery_broker_url is None
    assert s.ratelimit_storage_url == "memory://"
    assert s.max_upload_mb == 200
    assert s.max_upload_bytes == 200 * 1024 * 1024
    assert s.max_pixels == 150_000_000
    assert s.derivative_sizes == (400, 1024, 2048)
    assert s.embed_allowed_origins == ("*",)
    assert not s.production


def test_instance_path_is_expanded_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings({"GALLERY_INSTANCE_PATH": "relative/inst"})
    assert s.instance_path == (tmp_path / "relative" / "inst").resolve()
    assert s.instance_path.is_absolute()


def test_default_instance_is_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed from a wheel, the package lives in site-packages: the default instance folder must
    not be computed from the package's location (DESIGN: ./instance in the working directory)."""
    monkeypatch.chdir(tmp_path)
    s = load_settings({})
    assert s.instance_path == (tmp_path / "instance").resolve()
    assert s.database_url == f"sqlite:///{(tmp_path / 'instance' / 'gallery.db').resolve()}"
    assert (tmp_path / "instance").is_dir()


def test_values_are_trimmed(base_env: dict[str, str]) -> None:
    s = load(base_env, GALLERY_MAX_UPLOAD_MB="  50 ", GALLERY_ENV=" Testing ")
    assert s.max_upload_mb == 50
    assert s.env == "testing"


def test_unknown_environment_is_rejected(base_env: dict[str, str]) -> None:
    message = config_error(base_env, GALLERY_ENV="staging")
    assert "GALLERY_ENV" in message and "production" in message and "development" in message


# --- storage ------------------------------------------------------------------------------------


def test_ftp_storage_url_message_is_exact(base_env: dict[str, str]) -> None:
    assert config_error(base_env, GALLERY_STORAGE_URL="ftp://x") == (
        "unsupported storage URL scheme 'ftp': use file:// or s3://"
    )


def test_ftp_storage_url_stops_create_app(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported storage URL scheme 'ftp': use file:// or s3://"):
        create_app(
            {
                "GALLERY_ENV": "testing",
                "GALLERY_INSTANCE_PATH": str(tmp_path),
                "GALLERY_SECRET_KEY": "k" * 40,
                "GALLERY_STORAGE_URL": "ftp://x",
            }
        )


@pytest.mark.parametrize(
    "url",
    [
        "file:///var/lib/gallery/media",
        "file://localhost/srv/media",
        "s3://gallery-media",
        "s3://gallery-media/a/b",
        "s3://my.bucket.example/prefix",
        "s3://abc",
    ],
)
def test_valid_storage_urls(base_env: dict[str, str], url: str) -> None:
    assert load(base_env, GALLERY_STORAGE_URL=url).storage_url == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file://server/share", "absolute path"),
        ("file:relative/media", "absolute"),
        ("s3:///prefix-only", "name the bucket"),
        ("s3://Gallery_Media/x", "not a valid bucket name"),
        ("s3://ab/x", "not a valid bucket name"),
        ("s3://" + "a" * 64, "not a valid bucket name"),
        ("s3://-gallery/x", "not a valid bucket name"),
        ("s3://gallery-/x", "not a valid bucket name"),
        ("s3://gallery..media/x", "not a valid bucket name"),
        ("s3://192.168.5.4/x", "not a valid bucket name"),
        ("http://example.org/media", "unsupported storage URL scheme 'http'"),
        ("/var/lib/gallery/media", "use file:// or s3://"),
    ],
)
def test_invalid_storage_urls(base_env: dict[str, str], url: str, expected: str) -> None:
    message = config_error(base_env, GALLERY_STORAGE_URL=url)
    assert expected in message
    assert "GALLERY_STORAGE_URL" in message or "storage URL" in message


def test_s3_endpoint_and_public_media_url(base_env: dict[str, str]) -> None:
    s = load(
        base_env,
        GALLERY_STORAGE_URL="s3://gallery-media/archive",
        GALLERY_S3_ENDPOINT_URL="http://127.0.0.1:9000/",
        GALLERY_PUBLIC_MEDIA_URL="https://cdn.example.org/media/",
        AWS_REGION="eu-central-1",
    )
    assert s.storage_scheme == "s3"
    assert s.s3_endpoint_url == "http://127.0.0.1:9000"
    assert s.public_media_url == "https://cdn.example.org/media"
    assert s.s3_region == "eu-central-1"
    assert load(base_env, AWS_DEFAULT_REGION="us-east-2").s3_region == "us-east-2"


@pytest.mark.parametrize("name", ["GALLERY_S3_ENDPOINT_URL", "GALLERY_PUBLIC_MEDIA_URL"])
@pytest.mark.parametrize("value", ["cdn.example.org", "ftp://cdn.example.org", "https://"])
def test_http_urls_are_validated(base_env: dict[str, str], name: str, value: str) -> None:
    message = config_error(base_env, **{name: value})
    assert name in message and "http://" in message


def test_s3_checksum_switch(base_env: dict[str, str]) -> None:
    assert load(base_env).s3_checksum_mode == "when_supported"
    assert load(base_env, GALLERY_S3_REQUEST_CHECKSUM="WHEN_REQUIRED").s3_checksum_mode == "when_required"
    assert "when_required" in config_error(base_env, GALLERY_S3_REQUEST_CHECKSUM="never")


# --- numbers ------------------------------------------------------------------------------------


def test_numbers_are_parsed(base_env: dict[str, str]) -> None:
    s = load(
        base_env,
        GALLERY_MAX_UPLOAD_MB="25",
        GALLERY_MAX_PIXELS="40_000_000",
        GALLERY_S3_MAX_ATTEMPTS="5",
        GALLERY_S3_CONNECT_TIMEOUT="2.5",
    )
    assert s.max_upload_mb == 25
    assert s.max_upload_bytes == 25 * 1024 * 1024
    assert s.max_pixels == 40_000_000
    assert s.s3_max_attempts == 5
    assert s.s3_connect_timeout == 2.5


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GALLERY_MAX_UPLOAD_MB", "lots", "is not a whole number"),
        ("GALLERY_MAX_UPLOAD_MB", "1.5", "is not a whole number"),
        ("GALLERY_MAX_UPLOAD_MB", "0", "out of range"),
        ("GALLERY_MAX_UPLOAD_MB", "-5", "out of range"),
        ("GALLERY_MAX_PIXELS", "150M", "is not a whole number"),
        ("GALLERY_MAX_PIXELS", "0", "out of range"),
        ("GALLERY_S3_MAX_ATTEMPTS", "100", "out of range"),
        ("GALLERY_S3_CONNECT_TIMEOUT", "soon", "is not a number"),
        ("GALLERY_S3_READ_TIMEOUT", "0", "out of range"),
    ],
)
def test_bad_numbers(base_env: dict[str, str], name: str, value: str, expected: str) -> None:
    message = config_error(base_env, **{name: value})
    assert message.startswith(name), message
    assert expected in message


# --- derivative sizes and origins ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("400,1024,2048", (400, 1024, 2048)), ("2048, 400 ,400", (400, 2048)), ("640", (640,)), ("1024,", (1024,))],
)
def test_derivative_sizes(base_env: dict[str, str], raw: str, expected: tuple[int, ...]) -> None:
    assert load(base_env, GALLERY_DERIVATIVE_SIZES=raw).derivative_sizes == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("400,big", "'big' is not a whole number"), ("400,8", "outside"), ("400,99999", "outside"), (", ,", "empty")],
)
def test_bad_derivative_sizes(base_env: dict[str, str], raw: str, expected: str) -> None:
    message = config_error(base_env, GALLERY_DERIVATIVE_SIZES=raw)
    assert "GALLERY_DERIVATIVE_SIZES" in message and expected in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("*", ("*",)),
        ("https://news.example.org", ("https://news.example.org",)),
        ("https://news.example.org/ http://localhost:8080", ("https://news.example.org", "http://localhost:8080")),
        ("https://a.example.org,https://b.example.org", ("https://a.example.org", "https://b.example.org")),
        ("'self' https://*.example.org", ("'self'", "https://*.example.org")),
    ],
)
def test_embed_origins(base_env: dict[str, str], raw: str, expected: tuple[str, ...]) -> None:
    assert load(base_env, GALLERY_EMBED_ALLOWED_ORIGINS=raw).embed_allowed_origins == expected


@pytest.mark.parametrize(
    "raw",
    [
        "news.example.org",
        "https://news.example.org/embed",
        "https://news.example.org?x=1",
        "javascript:alert(1)",
        "https://",
        # must not smuggle another CSP directive into the header
        "https://a.example.org;script-src",
        "https://a.example.org;default-src *",
        "https://a.example.org'",
    ],
)
def test_bad_embed_origins(base_env: dict[str, str], raw: str) -> None:
    message = config_error(base_env, GALLERY_EMBED_ALLOWED_ORIGINS=raw)
    assert "GALLERY_EMBED_ALLOWED_ORIGINS" in message and "is not an origin" in message


# --- databases, brokers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:pw@db.example.org/gallery", "postgresql+psycopg://u:pw@db.example.org/gallery"),
        ("postgresql://u@db.example.org:5433/gallery", "postgresql+psycopg://u@db.example.org:5433/gallery"),
        ("postgresql+psycopg://u@h/g", "postgresql+psycopg://u@h/g"),
        ("sqlite:////var/lib/gallery/gallery.db", "sqlite:////var/lib/gallery/gallery.db"),
    ],
)
def test_database_urls_are_normalised(base_env: dict[str, str], raw: str, expected: str) -> None:
    assert load(base_env, GALLERY_DATABASE_URL=raw).database_url == expected


@pytest.mark.parametrize("raw", ["mysql://u@h/g", "oracle://x", "gallery.db"])
def test_unsupported_database(base_env: dict[str, str], raw: str) -> None:
    message = config_error(base_env, GALLERY_DATABASE_URL=raw)
    assert "GALLERY_DATABASE_URL" in message and "postgresql://" in message and "sqlite:///" in message


def test_passwords_are_masked_in_describe(base_env: dict[str, str]) -> None:
    s = load(
        base_env,
        GALLERY_DATABASE_URL="postgresql://gallery:hunter2hunter2@db/gallery",
        GALLERY_CELERY_BROKER_URL="redis://:brokerpw@redis:6379/0",
    )
    shown = s.describe()
    assert "hunter2hunter2" not in repr(shown) and "brokerpw" not in repr(shown)
    assert shown["GALLERY_DATABASE_URL"] == "postgresql+psycopg://gallery:***@db/gallery"
    assert set(shown) >= {
        "GALLERY_DATABASE_URL",
        "GALLERY_STORAGE_URL",
        "GALLERY_S3_ENDPOINT_URL",
        "GALLERY_PUBLIC_MEDIA_URL",
        "GALLERY_CELERY_BROKER_URL",
        "GALLERY_MAX_UPLOAD_MB",
        "GALLERY_MAX_PIXELS",
        "GALLERY_DERIVATIVE_SIZES",
        "GALLERY_EMBED_ALLOWED_ORIGINS",
        "GALLERY_INSTANCE_PATH",
    }


def test_broker_and_rate_limit_storage(base_env: dict[str, str]) -> None:
    s = load(base_env, GALLERY_CELERY_BROKER_URL="redis://127.0.0.1:6379/3")
    assert s.celery_broker_url == "redis://127.0.0.1:6379/3"
    assert s.ratelimit_storage_url == "redis://127.0.0.1:6379/3"  # rate limits follow Redis when configured
    s = load(base_env, GALLERY_CELERY_BROKER_URL="redis://h/3", GALLERY_RATELIMIT_STORAGE_URL="memory://")
    assert s.ratelimit_storage_url == "memory://"
    assert "GALLERY_CELERY_BROKER_URL" in config_error(base_env, GALLERY_CELERY_BROKER_URL="http://redis:6379")


def test_log_level(base_env: dict[str, str]) -> None:
    assert load(base_env, GALLERY_LOG_LEVEL="debug").log_level == "DEBUG"
    assert "GALLERY_LOG_LEVEL" in config_error(base_env, GALLERY_LOG_LEVEL="chatty")


def test_log_format(base_env: dict[str, str]) -> None:
    assert load(base_env).log_format == "text"
    assert load(base_env, GALLERY_LOG_FORMAT="JSON").log_format == "json"
    assert load(base_env, GALLERY_LOG_FORMAT="text").log_format == "text"
    message = config_error(base_env, GALLERY_LOG_FORMAT="xml")
    assert "GALLERY_LOG_FORMAT" in message and "json" in message


def test_metrics(base_env: dict[str, str], tmp_path: Path) -> None:
    off = load(base_env)
    assert (off.metrics, off.metrics_token, off.metrics_multiproc_dir) == (False, None, None)
    on = load(base_env, GALLERY_METRICS="true", GALLERY_METRICS_TOKEN="t0ken", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert (on.metrics, on.metrics_token, on.metrics_multiproc_dir) == (True, "t0ken", tmp_path)
    assert "GALLERY_METRICS" in config_error(base_env, GALLERY_METRICS="maybe")


def test_only_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """load_settings() without an argument reads os.environ (and nothing else does)."""
    monkeypatch.setenv("GALLERY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GALLERY_MAX_PIXELS", "1234567")
    assert load_settings().max_pixels == 1234567
    offenders = []
    for path in (PROJECT_ROOT / "gallery").rglob("*.py"):
        if "config" in path.relative_to(PROJECT_ROOT).parts[1:2] or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(PROJECT_ROOT)))
    # create_app merges os.environ with overrides before handing both to config.load_settings.
    assert [o for o in offenders if o != "gallery/app.py"] == []


# --- secret key -----------------------------------------------------------------------------------


def test_production_requires_a_secret_key(base_env: dict[str, str]) -> None:
    message = config_error(base_env, GALLERY_ENV="production")
    assert "GALLERY_SECRET_KEY is required when GALLERY_ENV=production" in message
    assert "secrets.token_urlsafe" in message  # says how to make one
    assert not (Path(base_env["GALLERY_INSTANCE_PATH"]) / "secret_key").exists()


def test_production_rejects_a_short_secret_key(base_env: dict[str, str]) -> None:
    message = config_error(base_env, GALLERY_ENV="production", GALLERY_SECRET_KEY="short")
    assert "GALLERY_SECRET_KEY" in message and "32" in message


def test_production_with_a_secret_key(base_env: dict[str, str]) -> None:
    key = "p" * 48
    s = load(base_env, GALLERY_ENV="production", GALLERY_SECRET_KEY=key, GALLERY_BASE_URL="https://photos.example.org")
    assert s.production and s.secret_key == key and not s.secret_key_generated


def test_create_app_refuses_production_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GALLERY_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="GALLERY_SECRET_KEY is required"):
        create_app({"GALLERY_ENV": "production", "GALLERY_INSTANCE_PATH": str(tmp_path)})


def test_development_generates_one_key_and_keeps_it(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = load_settings({"GALLERY_INSTANCE_PATH": str(instance)})
    key_file = instance / "secret_key"
    assert first.secret_key_generated
    assert len(first.secret_key) >= 32
    assert key_file.read_text().strip() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = load_settings({"GALLERY_INSTANCE_PATH": str(instance)})
    assert second.secret_key == first.secret_key
    assert not second.secret_key_generated
    # another instance folder gets its own key
    other = load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path / "other")})
    assert other.secret_key != first.secret_key


def test_development_key_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path)})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_explicit_secret_key_wins_and_writes_nothing(tmp_path: Path) -> None:
    s = load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path), "GALLERY_SECRET_KEY": "given-key"})
    assert s.secret_key == "given-key"
    assert not (tmp_path / "secret_key").exists()


# --- the real entry point -------------------------------------------------------------------------


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    """Several workers starting at once on a fresh instance folder must not each write their
    own key (sessions and CSRF tokens would then fail at random between workers)."""
    import threading

    barrier = threading.Barrier(16)
    keys: list[str] = []

    def start() -> None:
        barrier.wait()
        keys.append(load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path / "fresh")}).secret_key)

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16
    assert set(keys) == {(tmp_path / "fresh" / "secret_key").read_text().strip()}


def test_unusable_instance_folder_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as info:
        load_settings({"GALLERY_INSTANCE_PATH": str(blocker / "instance")})
    assert "GALLERY_INSTANCE_PATH" in str(info.value)
    with pytest.raises(ConfigError, match="GALLERY_INSTANCE_PATH"):
        load_settings(
            {
                "GALLERY_INSTANCE_PATH": str(blocker / "instance"),
                "GALLERY_ENV": "production",
                "GALLERY_SECRET_KEY": "k" * 40,
            }
        )


# --- base URL -------------------------------------------------------------------------------------


def settings_error(tmp_path: Path, **values: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings({"GALLERY_INSTANCE_PATH": str(tmp_path), **values})
    return str(info.value)


def test_production_refuses_to_start_without_a_base_url(tmp_path: Path) -> None:
    message = settings_error(tmp_path, GALLERY_ENV="production", GALLERY_SECRET_KEY="k" * 40)
    assert "GALLERY_BASE_URL is required when GALLERY_ENV=production" in message
    assert "https://" in message  # says what a value looks like
    settings = load_settings(
        {
            "GALLERY_INSTANCE_PATH": str(tmp_path),
            "GALLERY_ENV": "production",
            "GALLERY_SECRET_KEY": "k" * 40,
            "GALLERY_BASE_URL": "https://Photos.Example.org/",
        }
    )
    assert settings.base_url == "https://photos.example.org"
    assert settings.trusted_hosts == ("photos.example.org",)


@pytest.mark.parametrize(
    "value",
    [
        "photos.example.org",
        "ftp://photos.example.org",
        "https://",
        "https://photos.example.org/?x=1",
        "https://photos.example.org/#top",
        "https://user:pw@photos.example.org",
        "https://exa mple.org",
    ],
)
def test_bad_base_urls_are_refused(tmp_path: Path, value: str) -> None:
    message = settings_error(tmp_path, GALLERY_BASE_URL=value)
    assert "GALLERY_BASE_URL" in message and "https://" in message


def test_describe_shows_every_setting_the_environment_may_set(base_env: dict[str, str]) -> None:
    """`gallery config` lists every variable config.py reads (test hooks aside), secrets masked."""
    source = "".join(p.read_text() for p in Path(config_module.__file__).parent.glob("*.py"))
    read = set(re.findall(r'"((?:GALLERY|PROMETHEUS)_[A-Z0-9_]+)"', source)) - {"GALLERY_TEST_TASK_DELAY"}
    s = load(
        base_env,
        GALLERY_SECRET_KEY="s" * 40,
        GALLERY_METRICS_TOKEN="metrics-token-secret",
        GALLERY_RATELIMIT_STORAGE_URL="redis://:ratelimitpw@redis:6379/1",
    )
    shown = s.describe()
    assert read <= set(shown), sorted(read - set(shown))
    for secret in ("s" * 40, "metrics-token-secret", "ratelimitpw"):
        assert secret not in repr(shown)
