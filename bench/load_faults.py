"""The faults ``bench/load.py`` injects under load: a Celery worker killed (SIGKILL) while it makes web
sizes, and a gunicorn worker killed while it receives an upload."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from load_stack import Stack


def faults(stack: Stack, seconds: float, record: list[str]) -> None:
    """Kill a Celery worker mid-task at 40 % of the run and a gunicorn worker mid-upload at 60 %,
    both before the load ends (a short run must not have the checks after it hit a killed worker)."""
    end = time.monotonic() + seconds - 2
    time.sleep(seconds * 0.4)
    worker = next(p for p in stack.procs if p.name == "worker-1")
    busy, wait_until = False, min(end, time.monotonic() + 30)
    while not busy and time.monotonic() < wait_until:  # until its pool child makes web sizes
        children = psutil.Process(worker.proc.pid).children(recursive=True)
        busy = any(c.cpu_percent(interval=0.2) > 20 for c in children)
    worker.kill()
    state = "while busy" if busy else "(not seen busy)"
    record.append(f"{time.strftime('%H:%M:%S')} SIGKILL celery worker-1 (pid {worker.proc.pid}) {state}")
    time.sleep(5)
    worker.restart()
    record.append(f"{time.strftime('%H:%M:%S')} celery worker-1 started again")
    time.sleep(max(0.0, min(seconds * 0.2, end - time.monotonic() - 5)))
    web = next(p for p in stack.procs if p.name == "web-1")
    victim = None
    while time.monotonic() < end and victim is None:
        for child in psutil.Process(web.proc.pid).children():
            with contextlib.suppress(psutil.Error):
                if child.cpu_percent(interval=0.1) > 30:  # receiving (and hashing) an upload
                    victim = child
                    break
    if victim is None:
        record.append("no gunicorn worker of web-1 was seen busy before the end of the load: none killed")
        return
    victim.kill()
    record.append(f"{time.strftime('%H:%M:%S')} SIGKILL gunicorn worker {victim.pid} of web-1 while busy")
