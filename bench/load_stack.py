"""The stack ``bench/load.py`` runs: what a deployment runs, on this machine, each part a child process
in its own session (``Proc``): moto's S3 server, two Celery workers and beat (at lower priority, as
``deploy/``'s units), one or two gunicorn instances with their own instance folders, and nginx in front
(reverse proxy, and the CDN stand-in caching immutable web sizes); PostgreSQL in a private schema and
Redis in a private database."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import requests
import sqlalchemy as sa
from seed import drop_schema, migrated_schema

from gallery.config import parse_database_url
from tests.archive.faults import private_redis_db

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "load-secret-key-" + "k" * 40
BACKGROUND_NICE = 10  # Celery workers and beat, as deploy/gallery-worker.service's Nice=10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    """A child process in its own process group (and session), its output in a log file.

    ``nice`` lowers its CPU priority as ``Nice=`` and ``CPUWeight=`` do in ``deploy/``'s units: each
    session is its own scheduling group here (Linux's autogroup, as each systemd service is its own
    cgroup), so the group's nice is set too (``/proc/<pid>/autogroup``), not only the process's."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path, nice: int = 0) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self.args, self.env, self.nice = args, env, nice
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        out = self.log.open("ab")
        proc = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.nice:  # before it forks its pool (Celery imports for a second first): children inherit it
            os.setpriority(os.PRIO_PROCESS, proc.pid, self.nice)
            with contextlib.suppress(OSError):  # no autogroups in this kernel: the process's nice is all
                Path(f"/proc/{proc.pid}/autogroup").write_text(str(self.nice))
        return proc

    def restart(self) -> None:
        self.proc = self._start()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


NGINX_CONF = """
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    proxy_cache_path {tmp}/nginx-cache levels=1:2 keys_zone=gallery_media:50m max_size=2g inactive=1d use_temp_path=off;
    upstream gallery_web {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 200m;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-ID $request_id;
        proxy_read_timeout 90s;
        proxy_send_timeout 90s;
        proxy_next_upstream error timeout http_502;
        location = /metrics {{ deny all; }}
        location /media/derivatives/ {{
            proxy_pass http://gallery_web;
            proxy_cache gallery_media;
            proxy_cache_key $scheme$host$request_uri;
            proxy_cache_lock on;
            proxy_cache_use_stale error timeout updating;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
        location / {{
            proxy_pass http://gallery_web;
            proxy_buffering off;
        }}
    }}
}}
"""


class Stack:
    def __init__(self, args: argparse.Namespace, tmp: Path, redis_url: str) -> None:
        self.args, self.tmp = args, tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.procs: list[Proc] = []
        self.schema = f"bench_load_{uuid.uuid4().hex[:8]}"
        print(f"  database schema {self.schema}: migrating")
        self.db_url = migrated_schema(args.database_url, self.schema)
        self.s3_port = free_port()
        self.bucket = f"load-{uuid.uuid4().hex[:12]}"
        self.nginx_port = free_port()
        self.base = f"http://127.0.0.1:{self.nginx_port}"
        self.web_ports = [free_port() for _ in range(args.instances)]
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")},
            "GALLERY_ENV": "production",
            "GALLERY_BASE_URL": self.base,
            "GALLERY_TRUSTED_PROXIES": "2",  # the visitor's address (as a CDN sends it), then nginx
            "GALLERY_SECRET_KEY": SECRET,
            "GALLERY_DATABASE_URL": self.db_url,
            "GALLERY_STORAGE_URL": f"s3://{self.bucket}",
            "GALLERY_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "GALLERY_CELERY_BROKER_URL": redis_url,
            "GALLERY_RATELIMIT_STORAGE_URL": redis_url,
            "GALLERY_CELERY_VISIBILITY_TIMEOUT": "30",  # a killed worker's task is handed out again soon
            "GALLERY_STUCK_AFTER_MINUTES": "1",
            "GALLERY_SWEEP_INTERVAL_SECONDS": "20",
            "GALLERY_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        if args.instances > 1:  # two machines share no folder: unfinished tus uploads wait in the bucket
            self.env["GALLERY_UPLOAD_SPOOL"] = "s3"

    def start(self) -> None:
        self.procs.append(
            Proc("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)], self.env, self.logs)
        )
        wait_http(f"http://127.0.0.1:{self.s3_port}/")
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket=self.bucket)
        for n in (1, 2):
            self.procs.append(self.worker(n))
        self.procs.append(
            Proc(
                "beat",
                [str(BIN / "celery"), "-A", "gallery.worker", "beat", "--schedule", str(self.tmp / "beat-schedule")],
                self.env,
                self.logs,
                nice=BACKGROUND_NICE,
            )
        )
        for n, port in enumerate(self.web_ports, 1):
            env = {**self.env, "GALLERY_INSTANCE_PATH": str(self.tmp / f"instance-{n}")}
            args = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
            args += ["-w", str(self.args.web_workers), "-b", f"127.0.0.1:{port}"]
            if getattr(self.args, "web_threads", None):
                args += ["--threads", str(self.args.web_threads)]
            self.procs.append(Proc(f"web-{n}", args, env, self.logs))
        for port in self.web_ports:
            wait_http(f"http://127.0.0.1:{port}/healthz")
        # nginx sends an idempotent request that met a killed worker to the next entry (one instance: twice)
        servers = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=0;"
            for p in self.web_ports * (2 if len(self.web_ports) == 1 else 1)
        )
        # nginx's workers run as an unprivileged user when it is started as root: let them reach their folders
        self.tmp.chmod(0o755)
        for folder in ("nginx-cache", "nginx-body", "nginx-proxy", "nginx-fastcgi", "nginx-uwsgi", "nginx-scgi"):
            (self.tmp / folder).mkdir(exist_ok=True)
            (self.tmp / folder).chmod(0o777)
        (self.tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=self.tmp, servers=servers, port=self.nginx_port))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.procs.append(
            Proc("nginx", [nginx, "-c", str(self.tmp / "nginx.conf"), "-g", "daemon off;"], self.env, self.logs)
        )
        wait_http(f"{self.base}/healthz")

    def worker(self, n: int) -> Proc:
        env = {**self.env, "GALLERY_INSTANCE_PATH": str(self.tmp / f"worker-{n}")}
        args = [str(BIN / "celery"), "-A", "gallery.worker", "worker", "-Q", "gallery", "-c", "1", "-n", f"w{n}@%h"]
        return Proc(f"worker-{n}", [*args, "--loglevel", "WARNING"], env, self.logs, nice=BACKGROUND_NICE)

    def gallery(self, *cli: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "GALLERY_INSTANCE_PATH": str(self.tmp / "cli")}
        return subprocess.run(
            [str(BIN / "gallery"), *cli], env=env, cwd=ROOT, capture_output=True, text=True, input=input_text
        )

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        kept = Path(tempfile.gettempdir()) / "gallery-load-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(self.logs, kept)
        for name in ("nginx-error.log", "nginx-access.log"):
            if (self.tmp / name).exists():
                shutil.copy(self.tmp / name, kept / name)
        print(f"  logs kept in {kept}")
        if not self.args.keep:
            drop_schema(self.args.database_url, self.schema)

    def engine(self) -> sa.Engine:
        return sa.create_engine(parse_database_url(self.db_url))


@contextlib.contextmanager
def stack_running(args: argparse.Namespace, tmp: Path) -> Iterator[Stack]:
    with private_redis_db() as redis_url:
        stack = Stack(args, tmp, redis_url)
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()
