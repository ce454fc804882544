"""A tiny CDN purge endpoint on loopback: records every POSTed JSON body (or answers an error)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class PurgeSink:
    url: str
    status: int = 200
    bodies: list[Any] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [u for body in self.bodies for u in body["urls"]]


@contextmanager
def purge_sink(status: int = 200) -> Iterator[PurgeSink]:
    sink = PurgeSink(url="", status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.headers.get("Content-Type") == "application/json":
                sink.bodies.append(json.loads(body))
            self.send_response(sink.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/purge"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
