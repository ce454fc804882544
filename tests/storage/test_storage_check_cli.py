"""`flask --app wsgi gallery storage-check` as an admin runs it: green against a
real S3 endpoint (moto over HTTP on loopback), red with a clear message and a
non-zero exit against a stopped one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.storage.s3server import moto_env, new_bucket_name, unused_endpoint

ROOT = Path(__file__).resolve().parents[2]


def run_check(tmp_path: Path, endpoint: str, bucket: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **moto_env(endpoint),
        "GALLERY_INSTANCE_PATH": str(tmp_path / "instance"),
        "GALLERY_STORAGE_URL": f"s3://{bucket}/gallery",
        "GALLERY_S3_CONNECT_TIMEOUT": "1",
        "GALLERY_S3_READ_TIMEOUT": "5",
        "GALLERY_S3_MAX_ATTEMPTS": "1",
    }
    env.pop("GALLERY_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "gallery", "storage-check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_green_against_a_real_s3_endpoint(tmp_path, moto_endpoint):
    bucket = new_bucket_name()
    result = run_check(tmp_path, moto_endpoint, bucket, "--create-bucket")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"s3://{bucket}/gallery" in result.stdout
    assert "storage check passed" in result.stdout
    for step in ("put", "stat", "get", "url", "delete"):
        assert step in result.stdout
    assert "Traceback" not in result.stderr


def test_missing_bucket_without_create_is_red(tmp_path, moto_endpoint):
    result = run_check(tmp_path, moto_endpoint, new_bucket_name())
    assert result.returncode == 1
    assert "storage check FAILED" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_red_with_a_clear_message_against_a_stopped_endpoint(tmp_path):
    with unused_endpoint() as endpoint:
        result = run_check(tmp_path, endpoint, new_bucket_name(), "--create-bucket")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "FAIL" in output and "storage check FAILED" in output
    assert endpoint.split("//", 1)[1] in output  # the message names the endpoint
    assert "Traceback" not in output


def test_with_the_site_address_the_bucket_cors_for_the_upload_page_is_checked(tmp_path, moto_endpoint, monkeypatch):
    bucket = new_bucket_name()
    monkeypatch.setenv("GALLERY_BASE_URL", "https://gallery.example.org")
    result = run_check(tmp_path, moto_endpoint, bucket, "--create-bucket")
    assert result.returncode == 1  # no CORS rule: the upload page could not reach the bucket
    assert "FAIL cors: " in result.stdout and "https://gallery.example.org" in result.stdout
    assert "storage check FAILED" in result.stderr and "Traceback" not in result.stderr
    monkeypatch.delenv("GALLERY_BASE_URL")
    quiet = run_check(tmp_path, moto_endpoint, bucket)
    assert quiet.returncode == 0 and "GALLERY_BASE_URL is not set" in quiet.stdout
