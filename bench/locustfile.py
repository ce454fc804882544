"""The visitors and photographers of ``bench/load.py`` (run by locust's headless runner; not alone).

Visitors (100 by default) browse a conference day with 1-3 s between clicks: home → event → album →
lightbox paging (the album's JSON pages and their web sizes) → a photo page → search.  Each visitor
has its own client address (``X-Forwarded-For``, as a CDN in front of nginx would send it).  They
are ``FastHttpUser``s (geventhttpclient): locust shares the machine's cores with the stack it
measures (about 1.6 ms of locust CPU per request with them, 2.0 ms with ``requests``), and a locust
process short of CPU reads its answers late and adds that wait to every time it reports.

Photographers (5) each upload a 10 MB photo every 20 s through the JSON API with an
``Idempotency-Key``.  A ``503`` with ``Retry-After`` (the decoder is busy) or a connection cut (a
web worker killed mid-upload) is retried with the same key, as a real client does; the upload counts
as failed only when the retries run out.  Settings come from the environment ``bench/load.py`` sets
(``LOAD_*``).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, HttpUser, between, constant_pacing, events, task

EVENT = os.environ.get("LOAD_EVENT", "")
ALBUM = os.environ.get("LOAD_ALBUM", "")
UPLOAD_ALBUM = os.environ.get("LOAD_UPLOAD_ALBUM", "")
TOKEN = os.environ.get("LOAD_TOKEN", "")
JPEG = Path(os.environ.get("LOAD_JPEG", "/nonexistent"))
SEARCH_WORDS = ["konferencja", "panel", "delegates", "komisarz", "award", "warsztaty"]
UPLOAD_LOG = Path(os.environ.get("LOAD_UPLOAD_LOG", "/dev/null"))
RETRIES = 6
PERIOD = 20.0  # seconds between one photographer's uploads


def unique_jpeg(base: bytes) -> bytes:
    """The base JPEG with a COM segment carrying a random id right after SOI: new bytes, same image."""
    note = f"load {uuid.uuid4()}".encode()
    return base[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + base[2:]


class Visitor(FastHttpUser):
    weight = 20
    wait_time = between(1, 3)

    def on_start(self) -> None:
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        self.headers = {"X-Forwarded-For": address}
        self.step = 0
        self.cursor: str | None = None
        self.photos: list[dict[str, Any]] = []

    def get(self, url: str, name: str, **kwargs: Any) -> Any:
        return self.client.get(url, name=name, headers=self.headers, **kwargs)

    def _images(self, photos: list[dict[str, Any]], count: int) -> None:
        for photo in photos[:count]:
            sizes = sorted(photo.get("derivatives") or [], key=lambda d: d.get("width", 0))
            if sizes:
                url = urlsplit(sizes[min(1, len(sizes) - 1)]["url"])  # absolute (GALLERY_BASE_URL): the path
                self.get(url.path + (f"?{url.query}" if url.query else ""), name="web size (lightbox)")

    @task
    def click(self) -> None:
        """One click of the journey; the journey starts again after the search."""
        step = self.step
        self.step = (self.step + 1) % 7
        if step == 0:
            self.get("/", name="home")
        elif step == 1:
            self.get(f"/events/{EVENT}", name="event page")
        elif step == 2:
            response = self.get(f"/albums/{ALBUM}", name="album page")
            found = re.findall(r'src="(/media/derivatives/[^"]+)"', response.text or "")
            for url in found[:6]:
                self.get(url, name="web size (album grid)")
        elif step in (3, 4):  # lightbox paging: the album's JSON pages and their web sizes
            url = f"/api/v1/albums/{ALBUM}/photos?limit=20" + (f"&cursor={self.cursor}" if self.cursor else "")
            with self.get(url, name="album JSON page (lightbox)", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}")
                    return
                body = response.json()
            self.cursor = body.get("next")
            self.photos = body.get("items") or self.photos
            self._images(self.photos, 4)
        elif step == 5 and self.photos:
            photo = random.choice(self.photos)
            self.get(f"/albums/{ALBUM}/photos/{photo['id']}", name="photo page")
        elif step == 6:
            self.cursor = None
            self.get(f"/search?q={random.choice(SEARCH_WORDS)}", name="search")


class Photographer(HttpUser):
    fixed_count = int(os.environ.get("LOAD_PHOTOGRAPHERS", "5"))
    wait_time = constant_pacing(PERIOD)

    def on_start(self) -> None:
        self.base = JPEG.read_bytes()
        # locust starts the photographers within a quarter of a second of each other, and constant
        # pacing would keep their uploads (and the web sizes they cause) in lockstep for the whole
        # run: five people do not press the shutter on one beat.  Each starts somewhere in the period.
        time.sleep(random.uniform(0, PERIOD))
        self.client.headers["Authorization"] = f"Bearer {TOKEN}"
        self.client.headers["X-Forwarded-For"] = f"192.168.{random.randrange(256)}.{random.randrange(1, 255)}"

    @task
    def upload(self) -> None:
        data = unique_jpeg(self.base)
        key = str(uuid.uuid4())
        started = time.perf_counter()
        retried = 0
        outcome = "failed"
        for attempt in range(RETRIES):
            try:
                with self.client.post(
                    f"/api/v1/albums/{UPLOAD_ALBUM}/photos",
                    files={"file": (f"IMG_{key[:8]}.JPG", data, "image/jpeg")},
                    headers={"Idempotency-Key": key},
                    name="upload (10 MB)",
                    catch_response=True,
                ) as response:
                    if response.status_code in (200, 201):
                        response.success()
                        outcome = "created"
                        photo_id = response.json().get("id")
                        break
                    if response.status_code == 503 or response.status_code in (502, 504) or response.status_code == 0:
                        # busy decoder (Retry-After) or a web worker that died mid-upload: retry, as clients do
                        response.success()
                        retried += 1
                        wait = float(response.headers.get("Retry-After") or 1)
                        time.sleep(min(wait, 10) * (attempt + 1))
                        continue
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    break
            except Exception:  # noqa: BLE001 - a cut connection: retry with the same key
                retried += 1
                time.sleep(1 + attempt)
        else:
            photo_id = None
        if outcome != "created":
            photo_id = None
        events.request.fire(
            request_type="UPLOAD",
            name="upload incl. retries",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(data),
            exception=None if outcome == "created" else RuntimeError("upload failed after retries"),
            context={},
        )
        with UPLOAD_LOG.open("a") as log:
            log.write(json.dumps({"key": key, "photo": photo_id, "retried": retried, "outcome": outcome}) + "\n")
