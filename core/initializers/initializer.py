"""The Initializer base class and the host-side plumbing every initializer shares.

Values are computed on the host in float64 numpy and only then handed to the
engine, so one seed gives bit-identical initial weights on every engine.
"""

import numbers

import numpy as np

import kbackend as K
from kbackend.dtypes import is_float, standardize_dtype

from ..utils.random_seed import host_generator


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a new engine tensor.

    Subclasses implement `__call__` and, when they take arguments, `get_config`
    returning those arguments so that `from_config` can rebuild them.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


def standardize_shape(shape, who):
    """shape as a tuple of non-negative ints; an int means a 1-D shape."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{who} needs a shape (a tuple of ints); got {shape!r}.") from None
    if not all(isinstance(d, numbers.Integral) and d >= 0 for d in dims):
        raise ValueError(f"{who} needs a fully known shape of non-negative ints; got {shape!r}.")
    return tuple(int(d) for d in dims)


def float_dtype(dtype, who):
    """The dtype name for a random initializer, which only makes sense for floats."""
    dtype = standardize_dtype(dtype)
    if not is_float(dtype):
        raise ValueError(f"{who} draws floating-point values; got dtype={dtype!r}. "
                         "Use a float dtype such as 'float32'.")
    return dtype


def to_tensor(values, dtype):
    """Host values (any numpy dtype) -> engine tensor of dtype (default floatx)."""
    return K.convert_to_tensor(np.asarray(values), dtype=standardize_dtype(dtype))


def check_seed(seed, who):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{who}: seed must be None or a non-negative int; got seed={seed!r}.")
    return int(seed)


def generator(seed):
    """A fresh Generator for an int seed (so a seeded initializer repeats its
    values on every call); the shared host generator for None (so unseeded
    initializers differ per call yet replay after `set_random_seed`)."""
    return host_generator() if seed is None else np.random.default_rng(seed)


def truncated_standard_normal(rng, shape):
    """Standard normal draws, redrawing those beyond two standard deviations."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return z
