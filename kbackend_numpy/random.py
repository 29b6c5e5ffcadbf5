"""Random ops of the numpy engine: each call builds a numpy Generator from the
[seed, counter] pair that kbackend.seed.draw gives, so equal seeds give equal
numbers and a SeedGenerator advances its counter once per call."""

import numpy as np

from kbackend import config, dtypes, seed as seed_module

from . import core, replay
from .autodiff import raw


def _drawn(seed):
    """The int32 [seed, counter] array to draw from (the seed state advanced). Each sampler
    below takes it as an argument and is one kernel call of a K.jit record (replay.py), so a
    replayed step draws from the state it is given, not the one recorded."""
    return raw(seed_module.draw(seed))


def _bit_generator(drawn, kind=np.random.PCG64):
    return kind([int(v) for v in np.asarray(drawn)])


def _generator(drawn):
    return np.random.Generator(_bit_generator(drawn))


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
    return replay.call(_uniform, _drawn(seed), _shape(shape), _scalar(minval), _scalar(maxval), name)


def _uniform(drawn, shape, lo, hi, name):
    gen = _generator(drawn)
    if dtypes.is_int(name):
        return gen.integers(lo, hi, size=shape).astype(core.np_dtype(name))
    dt = _float_dtype(name)
    u = gen.random(shape, dtype=_sample_dtype(dt))
    return (lo + u * (hi - lo)).astype(dt)


def keep_mask(shape, keep, seed=None):
    """Booleans of `shape`, each True with probability `keep` (dropout's mask): 32 raw
    bits per element, True below keep * 2**32 (drawing float32 uniforms to compare
    costs twice as long). The bits come from SFC64, which makes them about twice as
    fast as the PCG64 of the other draws, and seeds the same way."""
    shape = _shape(shape)
    if keep >= 1.0:
        return np.ones(shape, bool)
    return replay.call(_keep_mask, _drawn(seed), shape, keep)


def _keep_mask(drawn, shape, keep):
    n = int(np.prod(shape))
    bits = _bit_generator(drawn, np.random.SFC64).random_raw((n + 1) // 2).view(np.uint32)[:n].reshape(shape)
    return bits < np.uint32(min(round(keep * 2 ** 32), 2 ** 32 - 1))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return replay.call(_normal, _drawn(seed), _shape(shape), _scalar(mean), _scalar(stddev), _float_dtype(dtype))


def _normal(drawn, shape, mean, stddev, dt):
    z = _generator(drawn).standard_normal(shape, dtype=_sample_dtype(dt))
    return (mean + stddev * z).astype(dt)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return replay.call(_truncated_normal, _drawn(seed), _shape(shape), _scalar(mean), _scalar(stddev),
                       _float_dtype(dtype))


def _truncated_normal(drawn, shape, mean, stddev, dt):
    gen = _generator(drawn)
    z = gen.standard_normal(shape, dtype=_sample_dtype(dt))
    outside = np.abs(z) > 2
    while outside.any():  # each round redraws all rejected values at once (~5% per round)
        z[outside] = gen.standard_normal(int(outside.sum()), dtype=z.dtype)
        outside = np.abs(z) > 2
    return (mean + stddev * z).astype(dt)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    dt = core.np_dtype(dtypes.standardize_dtype(dtype or config.floatx()))
    return replay.call(_bernoulli, _drawn(seed), _shape(shape), _scalar(p), dt)


def _bernoulli(drawn, shape, p, dt):
    return (_generator(drawn).random(shape) < p).astype(dt)
