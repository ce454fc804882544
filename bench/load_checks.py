"""The checks ``bench/load.py`` makes after the load: nginx's cache (public web sizes HIT, private
ones never cached) and, with two instances, that the web tier keeps no state (a session, the login
rate limit and a resumable upload all cross from one instance to the other); and where the CPU went
during the load (``CpuMeter``)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.cookiejar
import os
import re
import resource
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import psutil
import requests

if TYPE_CHECKING:
    from load_stack import Stack


class BrowserOverTLS(requests.cookies.RequestsCookieJar):
    """A browser's cookies as they are behind TLS: ``Secure`` cookies are sent back.

    In production (``GALLERY_ENV=production``) the session cookie is ``Secure``: a browser reaches
    the site over HTTPS and sends it back.  The bench talks plain HTTP to the loopback (nginx and the
    gunicorn ports, no TLS), where ``requests`` keeps a ``Secure`` cookie to itself: every form POST
    then lacks its CSRF session and answers 400 ("The form expired").  This jar stands in for the TLS
    the bench leaves out: it keeps each cookie without its ``Secure`` flag."""

    def set_cookie(self, cookie: http.cookiejar.Cookie, *args: Any, **kwargs: Any) -> None:
        cookie.secure = False
        super().set_cookie(cookie, *args, **kwargs)


def browser() -> requests.Session:
    session = requests.Session()
    session.cookies = BrowserOverTLS()
    return session


def csrf_token(page: requests.Response) -> str:
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if page.status_code != 200 or found is None:
        raise SystemExit(f"no CSRF token in {page.url} ({page.status_code})")
    return found.group(1)


def login_check(stack: Stack, first: str, second: str, headers: dict[str, str]) -> list[str]:
    """Log in on instance 1 and open /manage/ on instance 2 with the same cookies."""
    password = "Load-bench-passphrase-" + uuid.uuid4().hex
    result = stack.gallery(
        "create-user",
        "admin@load.example.org",
        "--role",
        "admin",
        "--password-stdin",
        input_text=password + "\n" + password + "\n",
    )
    if result.returncode != 0:
        return [f"could not create the admin: {result.stdout}{result.stderr}"]
    person = browser()
    token = csrf_token(person.get(f"{first}/login", headers=headers))
    answer = person.post(
        f"{first}/login",
        data={"email": "admin@load.example.org", "password": password, "csrf_token": token},
        headers=headers,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        return [f"logging in on instance 1 answered {answer.status_code}, not 302"]
    there = person.get(f"{second}/manage/", headers=headers, allow_redirects=False)
    if there.status_code != 200:
        return [f"a session made on instance 1 did not open /manage/ on instance 2 ({there.status_code})"]
    token = csrf_token(person.get(f"{second}/logout", headers=headers))
    person.post(f"{second}/logout", data={"csrf_token": token}, headers=headers, allow_redirects=False)
    back = person.get(f"{first}/manage/", headers=headers, allow_redirects=False)
    if back.status_code != 302:
        return [f"logged out on instance 2, /manage/ on instance 1 still answered {back.status_code}"]
    print("  stateless: logged in on instance 1, /manage/ 200 on instance 2; logged out on 2, 302 on 1")
    return []


def rate_limit_check(first: str, second: str, headers: dict[str, str]) -> list[str]:
    """Six wrong logins for one e-mail, alternating the instances: 5 per minute, so the sixth is 429.

    Each instance sees only three: counted per instance (or per worker) none would be limited."""
    statuses = []
    email = f"nobody-{uuid.uuid4().hex[:8]}@load.example.org"
    for n in range(6):
        target = first if n % 2 == 0 else second
        visitor = browser()
        h = {**headers, "X-Forwarded-For": f"203.0.113.{77 + n}, 127.0.0.1"}
        token = csrf_token(visitor.get(f"{target}/login", headers=h))
        answer = visitor.post(
            f"{target}/login", data={"email": email, "password": "wrong", "csrf_token": token}, headers=h
        )
        statuses.append(answer.status_code)
    if statuses != [401] * 5 + [429]:
        return [f"6 wrong logins for one e-mail alternating the instances answered {statuses}, not 5 x 401 then 429"]
    print(f"  stateless: wrong logins alternating the instances: {statuses}")
    return []


def tus_check(first: str, second: str, api_token: str, data: bytes) -> list[str]:
    """A resumable upload started on instance 1 and finished on instance 2 (the spool in the bucket)."""
    auth = {"Authorization": f"Bearer {api_token}", "Tus-Resumable": "1.0.0"}
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in (("album", "handover"), ("filename", "TUS.JPG"))
    )
    created = requests.post(
        f"{first}/api/v1/uploads/", headers={**auth, "Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    if created.status_code != 201:
        return [f"tus creation on instance 1 answered {created.status_code}: {created.text[:200]}"]
    path = urlsplit(created.headers["Location"]).path
    chunk = {**auth, "Content-Type": "application/offset+octet-stream"}
    cut = 6 * 1024 * 1024  # S3 multipart parts are 5 MiB or more
    one = requests.patch(f"{first}{path}", data=data[:cut], headers={**chunk, "Upload-Offset": "0"})
    offset = requests.head(f"{second}{path}", headers=auth).headers.get("Upload-Offset")
    if one.status_code != 204 or offset != str(cut):
        return [f"tus: 6 MiB sent to instance 1 ({one.status_code}), instance 2 reports offset {offset}"]
    two = requests.patch(f"{second}{path}", data=data[cut:], headers={**chunk, "Upload-Offset": str(cut)})
    photo = requests.get(f"{first}{path}", headers=auth)
    if two.status_code != 204 or photo.status_code != 200:
        return [f"tus: the rest on instance 2 answered {two.status_code}, the result on instance 1 {photo.status_code}"]
    if photo.json().get("sha256") != hashlib.sha256(data).hexdigest():
        return ["tus: the photo made across two instances does not have the bytes sent"]
    print(f"  stateless: tus upload of {len(data) / 1e6:.1f} MB, 6 MiB on instance 1, the rest on 2: photo bit-exact")
    return []


def stateless_checks(stack: Stack, api_token: str, data: bytes) -> list[str]:
    """With two instances: a session made on one works on the other; the login limit counts across
    both; a tus upload started on one is finished on the other."""
    first, second = (f"http://127.0.0.1:{p}" for p in stack.web_ports[:2])
    headers = {"Host": f"127.0.0.1:{stack.nginx_port}", "X-Forwarded-For": "203.0.113.50, 127.0.0.1"}
    created = stack.gallery(
        "create-album", "handover", "--event", "load-conference", "--title", "Handover", "--visibility", "private"
    )
    if created.returncode != 0:
        return [f"could not create the album: {created.stdout}{created.stderr}"]
    problems = login_check(stack, first, second, headers)
    problems += rate_limit_check(first, second, headers)
    problems += tus_check(first, second, api_token, data)
    return problems


def cache_checks(stack: Stack, token: str) -> list[str]:
    problems: list[str] = []
    session = requests.Session()
    items = session.get(f"{stack.base}/api/v1/albums/plenary/photos?limit=1").json()["items"]
    url = urljoin(stack.base + "/", items[0]["derivatives"][0]["url"])
    first, second = session.get(url), session.get(url)
    if second.headers.get("X-Cache-Status") != "HIT":
        problems.append(
            "a repeated public web size was not a cache HIT "
            f"({first.headers.get('X-Cache-Status')}, {second.headers.get('X-Cache-Status')})"
        )
    private = session.get(
        f"{stack.base}/api/v1/albums/backstage/photos?limit=1", headers={"Authorization": f"Bearer {token}"}
    ).json()["items"]
    purl = urljoin(stack.base + "/", private[0]["derivatives"][0]["url"])
    answers = [session.get(purl) for _ in range(2)]
    if any(a.headers.get("X-Cache-Status") == "HIT" for a in answers) or "private" not in answers[0].headers.get(
        "Cache-Control", ""
    ):
        problems.append(f"a private web size was cached or not marked private: {[dict(a.headers) for a in answers]}")
    if any(a.status_code != 200 for a in answers):
        problems.append(f"a signed private web size did not answer 200: {[a.status_code for a in answers]}")
    return problems


class CpuMeter:
    """CPU seconds (user + system) each part of the stack used between ``__init__`` and ``report``:
    each part's whole process tree (a killed process's seconds are lost with it), locust (this
    process's reaped children) and the machine as a whole, against what its cores could give."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.before = self._per_process()
        self.children = self._children()
        self.machine = psutil.cpu_times()
        self.started = time.monotonic()

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def _per_process(self) -> dict[int, tuple[str, float]]:
        seen: dict[int, tuple[str, float]] = {}
        for proc in self.stack.procs:
            part = proc.name.split("-")[0]  # web, worker, beat, nginx, s3
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(proc.proc.pid)
                for member in (root, *root.children(recursive=True)):
                    with contextlib.suppress(psutil.Error):
                        times = member.cpu_times()
                        seen[member.pid] = (part, times.user + times.system)
        return seen

    def report(self) -> str:
        parts: dict[str, float] = {}
        for pid, (part, seconds) in self._per_process().items():
            parts[part] = parts.get(part, 0.0) + seconds - self.before.get(pid, (part, 0.0))[1]
        parts["locust"] = self._children() - self.children
        now = psutil.cpu_times()
        busy = sum(now) - sum(self.machine) - (now.idle - self.machine.idle) - (now.iowait - self.machine.iowait)
        wall = time.monotonic() - self.started
        ours = ", ".join(f"{name} {seconds:.0f}" for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]))
        return (
            f"CPU s during the load: {ours}; the machine {busy:.0f} of {wall * (os.cpu_count() or 1):.0f} "
            f"(the rest: PostgreSQL, Redis, anything else running); load average {os.getloadavg()[0]:.2f}"
        )
