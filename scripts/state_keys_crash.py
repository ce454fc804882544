"""The CPython 3.11 use-after-free that ``gallery/core/state_keys.py`` works around, in a few lines.

    python scripts/state_keys_crash.py          # 3.11: "200 of 200 stores used a freed values array"
    PYTHONMALLOC=debug python scripts/state_keys_crash.py   # 3.11: segfault (freed memory scribbled)
    python scripts/state_keys_crash.py --app    # gallery.extensions imported first, as in the app: "0 of 200"

A mapped object in a reference cycle is left to the garbage collector while its state is stored
on (``state._strong_obj = None``, as closing a session does).  When the name is not in the
class's shared keys, the store moves the state's values into a dict; allocating that dict starts a
collection (threshold 1 here; in the app any allocation may), which frees the object and runs the
state's weakref callback, whose own stores free the values array the outer store is still using.
The dict free list is emptied first so that the allocation happens."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROOT = Path(__file__).resolve().parent.parent


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(primary_key=True)


def attempt() -> bool:
    """Whether the store lost what the callback stored (it wrote into a freed values array)."""
    gc.collect()  # no collection before the store: the counts start again from zero
    thing = Thing()
    thing.cycle = thing  # type: ignore[attr-defined]  # only the collector frees it
    state = inspect(thing)
    del thing
    spare = [{} for _ in range(100)]  # an empty dict free list: a new dict is allocated
    gc.set_threshold(1)
    try:
        state._strong_obj = None
    finally:
        gc.set_threshold(700)
    del spare
    # the callback ran (the object is gone) and stored session_id; the state must still hold it
    return state.obj() is None and "session_id" not in vars(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="store_true", help="import gallery.extensions first, as the app does")
    parser.add_argument("--attempts", type=int, default=200)
    args = parser.parse_args()
    if args.app:
        sys.path.insert(0, str(ROOT))
        import gallery.extensions  # noqa: F401  (holds InstanceState's names: gallery/core/state_keys.py)
    loaded = [Thing() for _ in range(40)]  # objects a query loads: 40 states, alive, shrink the room
    for thing in loaded:  # left in the shared keys for new names to one name
        state = inspect(thing)
        state.key = None
        state.runid = 1
    lost = sum(attempt() for _ in range(args.attempts))
    print(f"{lost} of {args.attempts} stores used a freed values array", sys.version.split()[0])
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
