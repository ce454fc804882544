"""The faults ``bench/load.py`` injects under load: a Celery worker killed (SIGKILL) while it makes web
sizes, and a gunicorn worker killed while it receives an upload."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from load import Stack


def faults(stack: Stack, seconds: float, record: list[str]) -> None:
    """Kill a Celery worker mid-task at 40 % of the run and a gunicorn worker mid-upload at 60 %."""
    time.sleep(seconds * 0.4)
    worker = next(p for p in stack.procs if p.name == "worker-1")
    busy_until = time.monotonic() + 30
    while time.monotonic() < busy_until:  # wait until its pool child is busy (making web sizes)
        children = psutil.Process(worker.proc.pid).children(recursive=True)
        if any(c.cpu_percent(interval=0.2) > 20 for c in children):
            break
    worker.kill()
    record.append(f"{time.strftime('%H:%M:%S')} SIGKILL celery worker-1 (pid {worker.proc.pid}) while busy")
    time.sleep(5)
    worker.restart()
    record.append(f"{time.strftime('%H:%M:%S')} celery worker-1 started again")
    time.sleep(seconds * 0.2)
    web = next(p for p in stack.procs if p.name == "web-1")
    busy_until = time.monotonic() + 40
    victim = None
    while time.monotonic() < busy_until and victim is None:
        for child in psutil.Process(web.proc.pid).children():
            with contextlib.suppress(psutil.Error):
                if child.cpu_percent(interval=0.1) > 30:  # receiving (and hashing) an upload
                    victim = child
                    break
    victim = victim or psutil.Process(web.proc.pid).children()[0]
    victim.kill()
    record.append(f"{time.strftime('%H:%M:%S')} SIGKILL gunicorn worker {victim.pid} of web-1 while busy")
