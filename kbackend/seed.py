"""Seed state for the engines' random ops, usable inside compiled code.

A SeedGenerator keeps its state in a Variable holding int32 [seed, counter];
each draw returns the current state and advances the counter, so a compiled
step that is given the state (through a StatelessScope) draws fresh numbers on
every call while staying a pure function.
"""

import os

import numpy as np

from .variable import Variable
from .active import engine


class SeedGenerator:
    def __init__(self, seed=None, name=None):
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little") % (2 ** 31)
        if not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int or None; got {type(seed).__name__}.")
        self.initial_seed = int(seed) % (2 ** 31)
        self.state = Variable(np.array([self.initial_seed, 0], np.int32), dtype="int32",
                              name=name or "seed_generator_state", trainable=False)

    def next(self):
        """The state to draw from now (an int32 tensor of shape (2,))."""
        eng = engine()
        current = self.state.value
        self.state.assign(eng.add(current, eng.convert_to_tensor(np.array([0, 1], np.int32))))
        return current


_global = None


def global_generator():
    global _global
    if _global is None:
        _global = SeedGenerator()
    return _global


def set_global_seed(seed):
    """Reset the generator used by random ops called with seed=None."""
    global _global
    _global = SeedGenerator(seed)


def draw(seed):
    """An int32 tensor of shape (2,) to seed one random op: from an int (the
    same int always gives the same tensor), a SeedGenerator (advanced), or
    None (the global generator)."""
    if seed is None:
        return global_generator().next()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return engine().convert_to_tensor(np.array([int(seed) % (2 ** 31), 0], np.int32))
    raise TypeError(f"seed must be an int, a kbackend.SeedGenerator or None; got {type(seed).__name__}.")
