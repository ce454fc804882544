"""gunicorn.conf.py's worker hook: once the worker has loaded the app, its objects are frozen out of
the garbage collector's generations (gc.freeze), so full collections skip them."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_post_worker_init_freezes_what_the_worker_holds() -> None:
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    kept = [[i] for i in range(1000)]  # long-lived containers, tracked by the collector
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        conf["post_worker_init"](object())
        assert gc.get_freeze_count() >= len(kept)
        assert gc.is_tracked(kept[0]) and all(o is not kept[0] for o in gc.get_objects())  # in no generation
    finally:
        gc.unfreeze()
