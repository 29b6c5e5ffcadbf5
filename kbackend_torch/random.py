"""Random ops of the PyTorch engine: each call seeds a fresh torch.Generator
from the two numbers kbackend.seed.draw gives, so the same int seed always
gives the same numbers and a SeedGenerator gives new ones on every call."""

import math

import torch

from kbackend import config, dtypes, seed as seeds

from .core import DEVICE, _shape_tuple, torch_dtype


_M64 = (1 << 64) - 1


def _mix(a, b):
    """One 64-bit seed from the pair (a splitmix64 step): torch's CPU generator
    keeps only the low 32 bits of a seed, so every bit of both numbers must
    reach them."""
    z = ((((a & 0xFFFFFFFF) << 32) | (b & 0xFFFFFFFF)) + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _generator(seed):
    a, b = (int(v) for v in seeds.draw(seed).tolist())
    g = torch.Generator(device=DEVICE)
    g.manual_seed(_mix(a, b))
    return g


def _float_dtype(dtype):
    name = dtypes.standardize_dtype(dtype or config.floatx())
    if not dtypes.is_float(name):
        raise ValueError(f"expected a float dtype; got {name!r}.")
    return torch_dtype(name)


def _uniform(shape, dtype, seed):
    """Uniform [0, 1) numbers, drawn in float32 (float64 for float64) so a
    seed gives the same values whatever the requested precision."""
    draw = torch.float64 if dtype == torch.float64 else torch.float32
    return torch.rand(_shape_tuple(shape), generator=_generator(seed), dtype=draw, device=DEVICE)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    name = dtypes.standardize_dtype(dtype or config.floatx())
    if dtypes.is_int(name):  # integers in [minval, maxval)
        return torch.randint(int(minval), int(maxval), _shape_tuple(shape), generator=_generator(seed),
                             dtype=torch.int64, device=DEVICE).to(torch_dtype(name))
    dt = _float_dtype(name)
    u = _uniform(shape, dt, seed)
    # rounding to a narrow dtype could reach maxval itself; keep the interval half-open
    out = (minval + (maxval - minval) * u).to(dt)
    return torch.where(out < maxval, out, torch.full_like(out, minval))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = _float_dtype(dtype)
    draw = torch.float64 if dt == torch.float64 else torch.float32
    z = torch.randn(_shape_tuple(shape), generator=_generator(seed), dtype=draw, device=DEVICE)
    return (mean + stddev * z).to(dt)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    # inverse CDF of a normal restricted to [-2, 2]: vectorized, no rejection loop
    dt = _float_dtype(dtype)
    u = _uniform(shape, torch.float64, seed)
    lo = 0.5 * math.erfc(2 / math.sqrt(2))
    z = math.sqrt(2) * torch.erfinv(2 * (lo + (1 - 2 * lo) * u) - 1)
    return (mean + stddev * z).to(dt)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    dt = torch_dtype(dtype or config.floatx())
    u = _uniform(shape, torch.float32, seed)
    return (u < p).to(dt)
