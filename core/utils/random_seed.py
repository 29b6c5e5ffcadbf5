"""One seed for everything random: `set_random_seed(s)`.

Initial weights are drawn on the host from a numpy Generator (so a seed gives
the same initial model on every engine); random ops inside a step draw from
the engine's RNG through kbackend's global SeedGenerator. Both restart from s.
"""

import random

import numpy as np

from kbackend import seed as _engine_seed

_host = None


def set_random_seed(seed):
    """Seed Python's `random`, numpy's global RNG, the host generator for
    initial weights and the engine-side generator for dropout and friends."""
    global _host
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed needs an int; got {type(seed).__name__}.")
    seed = int(seed)
    # load the engine first: importing jax or tensorflow draws from numpy's
    # global RNG, which would otherwise happen after we seed it
    _engine_seed.set_global_seed(seed % 2 ** 31)
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    _host = np.random.default_rng(seed)


def host_generator():
    """The numpy Generator that initializers with seed=None draw from."""
    global _host
    if _host is None:
        _host = np.random.default_rng()
    return _host


def draw_seed():
    """A fresh int seed from the host generator (for layers' SeedGenerators),
    so that set_random_seed makes dropout masks reproducible too."""
    return int(host_generator().integers(0, 2 ** 31 - 1))
