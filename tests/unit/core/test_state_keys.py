"""The CPython 3.11 workaround (gallery/core/state_keys.py): every name SQLAlchemy's state callback
stores is held in the state class's shared keys, so a collection that interrupts a store on a
state no longer frees the values array under it (scripts/state_keys_crash.py shows the crash)."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm.state import InstanceState

from gallery.core.state_keys import CLEANUP_NAMES, state_names

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "state_keys_crash.py"


def test_the_held_names_cover_what_the_weakref_callback_stores() -> None:
    # a SQLAlchemy upgrade whose _cleanup stores another name must add it to CLEANUP_NAMES
    source = inspect.getsource(InstanceState._cleanup)
    stored = set(re.findall(r"self\.(\w+)\s*=(?!=)", source)) | set(re.findall(r"del self\.(\w+)", source))
    assert stored, source
    assert stored <= set(CLEANUP_NAMES)
    assert set(CLEANUP_NAMES) <= set(state_names())
    assert not set(state_names()) & set(InstanceState.__slots__)
    assert len(state_names()) < 30  # CPython 3.11's shared keys hold at most 30 names


def test_a_collection_during_a_store_on_a_state_loses_nothing_once_the_app_is_imported() -> None:
    # a fresh interpreter, as a worker starts: the app's import holds the names before any state exists
    # (without it, on 3.11, every one of these stores writes into a freed values array)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--app", "--attempts", "50"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("0 of 50 stores"), done.stdout
