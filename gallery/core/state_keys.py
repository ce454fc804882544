"""A workaround for a CPython 3.11 use-after-free that crashed the app (segfaults in the garbage
collector or in ``dictresize``; the search and album APIs under a low collection threshold every
run, at the default threshold now and then).

In 3.11 an instance keeps its attributes in a values array keyed by its class's *shared keys*, and
moves them into a real ``__dict__`` when a name is stored that those keys do not hold (they hold at
most 30 names, and every new instance shrinks the room left for new ones, so a name first stored
late in a process never gets in).  Making that dict allocates an object, which may start a
collection; a weakref callback run by that collection may store on the same instance, and if that
store also moves the values into a dict, it frees the values array; the outer store then goes on
with the freed array.  3.10, 3.12 and 3.13 do not crash on the same code
(``scripts/state_keys_crash.py``).

SQLAlchemy's ``InstanceState`` is such an instance: ``_cleanup``, the callback of its weak reference
to the mapped object, stores ``session_id`` and ``_strong_obj`` and deletes ``_instance_dict``, and
the session stores the same names on states whose objects are already cyclic garbage (closing the
session sets ``_strong_obj`` on each).  :func:`hold_state_names`, run before any state exists, stores
every name ``InstanceState`` declares once, on a throwaway state, so that all of them are in its
class's shared keys: such a store then writes the values array in place -- it allocates nothing,
starts no collection and frees nothing.  A no-op on other versions."""

from __future__ import annotations

import sys

from sqlalchemy.orm.state import InstanceState

#: The names ``InstanceState._cleanup`` (the weakref callback) stores or deletes on the state.
CLEANUP_NAMES = ("session_id", "_strong_obj", "_instance_dict")


def state_names() -> tuple[str, ...]:
    """The instance attributes ``InstanceState`` declares (those of :data:`CLEANUP_NAMES` first),
    without the ones kept in slots."""
    slots = set(InstanceState.__slots__)
    declared = [name for name in InstanceState.__annotations__ if name not in slots and not name.startswith("__")]
    return tuple(dict.fromkeys([*CLEANUP_NAMES, *declared]))


def hold_state_names() -> None:
    """Put :func:`state_names` into ``InstanceState``'s shared keys (CPython 3.11 only).  Call it
    before the first state is made: later, the keys may have no room left."""
    if sys.version_info[:2] != (3, 11):
        return
    state = InstanceState.__new__(InstanceState)
    for name in state_names():
        setattr(state, name, None)
