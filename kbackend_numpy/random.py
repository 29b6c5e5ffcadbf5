"""Random ops of the numpy engine: each call builds a numpy Generator from the
[seed, counter] pair that kbackend.seed.draw gives, so equal seeds give equal
numbers and a SeedGenerator advances its counter once per call."""

import numpy as np

from kbackend import config, dtypes, seed as seed_module

from . import core
from .autodiff import raw


def _bit_generator(seed, kind=np.random.PCG64):
    s, c = (int(v) for v in np.asarray(raw(seed_module.draw(seed))))
    return kind([s, c])


def _generator(seed):
    return np.random.Generator(_bit_generator(seed))


def _shape(shape):
    shape = raw(shape)
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _float_dtype(dtype):
    name = dtypes.standardize_dtype(dtype or config.floatx())
    if not dtypes.is_float(name):
        raise ValueError(f"Expected a float dtype; got {name}.")
    return core.np_dtype(name)


def _sample_dtype(dt):
    """The dtype numpy draws in (it draws float32 and float64 only)."""
    return np.float64 if dt == np.float64 else np.float32


def _scalar(value):
    return np.asarray(raw(core.convert_to_tensor(value)))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    name = dtypes.standardize_dtype(dtype or config.floatx())
    gen, shape = _generator(seed), _shape(shape)
    if dtypes.is_int(name):
        return gen.integers(_scalar(minval), _scalar(maxval), size=shape).astype(core.np_dtype(name))
    dt = _float_dtype(name)
    u = gen.random(shape, dtype=_sample_dtype(dt))
    lo, hi = _scalar(minval), _scalar(maxval)
    return (lo + u * (hi - lo)).astype(dt)


def keep_mask(shape, keep, seed=None):
    """Booleans of `shape`, each True with probability `keep` (dropout's mask): 32 raw
    bits per element, True below keep * 2**32 (drawing float32 uniforms to compare
    costs twice as long). The bits come from SFC64, which makes them about twice as
    fast as the PCG64 of the other draws, and seeds the same way."""
    shape = _shape(shape)
    if keep >= 1.0:
        return np.ones(shape, bool)
    n = int(np.prod(shape))
    bits = _bit_generator(seed, np.random.SFC64).random_raw((n + 1) // 2).view(np.uint32)[:n].reshape(shape)
    return bits < np.uint32(min(round(keep * 2 ** 32), 2 ** 32 - 1))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = _float_dtype(dtype)
    z = _generator(seed).standard_normal(_shape(shape), dtype=_sample_dtype(dt))
    return (_scalar(mean) + _scalar(stddev) * z).astype(dt)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = _float_dtype(dtype)
    gen = _generator(seed)
    z = gen.standard_normal(_shape(shape), dtype=_sample_dtype(dt))
    outside = np.abs(z) > 2
    while outside.any():  # each round redraws all rejected values at once (~5% per round)
        z[outside] = gen.standard_normal(int(outside.sum()), dtype=z.dtype)
        outside = np.abs(z) > 2
    return (_scalar(mean) + _scalar(stddev) * z).astype(dt)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    dt = core.np_dtype(dtypes.standardize_dtype(dtype or config.floatx()))
    return (_generator(seed).random(_shape(shape)) < _scalar(p)).astype(dt)
