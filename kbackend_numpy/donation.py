"""Buffer donation for the numpy engine's K.jit.

`K.jit(fn, donate_argnums)` promises that the donated arguments' old values
are dead once the call returns, so their buffers may hold the results. XLA
proves by itself which op may overwrite an input; numpy has no compiler, so
only an op whose caller says the old values are not read again (adam_update's
`in_place`) writes into buffers, and only into buffers that are:
- donated to the running call, once (an array passed twice, or also passed
  without donation, is left alone);
- allocated by this engine for a Variable's state (`own`): an array a user
  handed to `Variable.assign` or `set_weights` is never written into.
"""

import threading
import weakref

import numpy as np

from kbackend import tree

_owned = {}  # id -> weak reference of the arrays this engine allocated for state
_running = threading.local()  # .ids: the donated arrays of the K.jit call running in this thread


def own(array):
    """Mark an array this engine just allocated as state it may later update in place."""
    key = id(array)
    _owned[key] = weakref.ref(array, lambda _, key=key: _owned.pop(key, None))
    return array


def is_state(array):
    """Whether array was allocated by this engine for state (so it may change in place)."""
    ref = _owned.get(id(array))
    return ref is not None and ref() is array


class donating:
    """Context of one K.jit call: `donated` are its donated arguments, `kept` the others."""

    def __init__(self, donated, kept):
        counts = {}
        for leaf in tree.flatten(donated)[0]:
            if type(leaf) is np.ndarray:
                counts[id(leaf)] = counts.get(id(leaf), 0) + 1
        for leaf in tree.flatten(kept)[0]:
            if type(leaf) is np.ndarray:
                counts[id(leaf)] = 2
        self.ids = frozenset(key for key, n in counts.items() if n == 1)
        self._outer = None

    def __enter__(self):
        self._outer = getattr(_running, "ids", frozenset())
        _running.ids = self.ids
        return self

    def __exit__(self, *exc):
        _running.ids = self._outer


def writable(*arrays):
    """Whether every one of arrays (all distinct) may be overwritten by the running call."""
    ids = getattr(_running, "ids", None)
    if not ids or len({id(a) for a in arrays}) != len(arrays):
        return False
    return all(type(a) is np.ndarray and id(a) in ids and is_state(a) and a.base is None
               and a.flags.writeable and a.flags.c_contiguous for a in arrays)
