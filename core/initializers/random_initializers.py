"""Random initializers, drawn on the host from numpy's Generator.

Each class documents the exact numpy draws it makes, so that a test (or another
tool) can reproduce the values from the seed alone.
"""

import math

import numpy as np

from .initializer import (
    Initializer,
    check_seed,
    float_dtype,
    generator,
    standardize_shape,
    to_tensor,
    truncated_standard_normal,
)

# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes
# the truncated draws have the variance the user asked for.
TRUNCATED_STDDEV = 0.87962566103423978


class RandomInitializer(Initializer):
    """Shared seed handling: an int seed gives the same values on every call."""

    def __init__(self, seed=None):
        self.seed = check_seed(seed, type(self).__name__)

    def _draw_setup(self, shape, dtype):
        name = type(self).__name__
        return generator(self.seed), standardize_shape(shape, name), float_dtype(dtype, name)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal draws: `mean + stddev * rng.standard_normal(shape)`."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        rng, shape, dtype = self._draw_setup(shape, dtype)
        return to_tensor(self.mean + self.stddev * rng.standard_normal(shape), dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Uniform draws in [minval, maxval): `rng.uniform(minval, maxval, shape)`."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        rng, shape, dtype = self._draw_setup(shape, dtype)
        return to_tensor(rng.uniform(self.minval, self.maxval, shape), dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Normal draws redrawn until within two standard deviations of the mean:
    `mean + stddev * z`, z from `truncated_standard_normal(rng, shape)`."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        rng, shape, dtype = self._draw_setup(shape, dtype)
        return to_tensor(self.mean + self.stddev * truncated_standard_normal(rng, shape), dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) of a weight shape. Kernels of rank > 2 are taken as
    convolution kernels (..., in_channels, out_channels): the spatial dims
    multiply both fans. With both input_axes and output_axes (Keras 3.15, for
    einsum kernels) the fans are the products of those axes' sizes alone."""
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _axes(name, axes):
    if axes is None:
        return None
    axes = [axes] if isinstance(axes, int) else list(axes)
    if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise ValueError(f"VarianceScaling: {name} must be None or a non-empty list of axis indices; got {axes!r}.")
    return axes


class VarianceScaling(RandomInitializer):
    """Draws with variance scale / n, n the fan picked by `mode`:
    - "truncated_normal": `stddev * z`, z truncated at 2 as in TruncatedNormal,
      stddev = sqrt(scale / n) / 0.87962566103423978 (so the variance after
      truncation is scale / n);
    - "untruncated_normal": `sqrt(scale / n) * rng.standard_normal(shape)`;
    - "uniform": `rng.uniform(-limit, limit, shape)`, limit = sqrt(3 * scale / n).
    "normal" is accepted as the older name of "truncated_normal".
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be a positive float; got scale={scale!r}.")
        if mode not in self.MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self.MODES}; got mode={mode!r}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of {self.DISTRIBUTIONS}; "
                             f"got distribution={distribution!r}.")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = _axes("input_axes", input_axes)
        self.output_axes = _axes("output_axes", output_axes)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        rng, shape, dtype = self._draw_setup(shape, dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            values = math.sqrt(variance) / TRUNCATED_STDDEV * truncated_standard_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            values = math.sqrt(variance) * rng.standard_normal(shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return to_tensor(values, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config(),
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """The named presets: only the seed is an argument (and in the config)."""

    PRESET = None  # (scale, mode, distribution)

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(*self.PRESET, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out))."""
    PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""
    PRESET = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in)."""
    PRESET = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev sqrt(2 / fan_in)."""
    PRESET = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(3 / fan_in)."""
    PRESET = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev sqrt(1 / fan_in)."""
    PRESET = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """gain times a matrix with orthonormal columns (or rows, when wider than
    tall), reshaped to `shape`; rank > 2 shapes are flattened to
    (prod(shape[:-1]), shape[-1]) first. Draws: a = rng.standard_normal of
    (max(rows, cols), min(rows, cols)); q, r = np.linalg.qr(a);
    q *= sign(diag(r)); transposed when rows < cols."""

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        rng, shape, dtype = self._draw_setup(shape, dtype)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank 2 or more; got shape {shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q = q * np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
        if rows < cols:
            q = q.T
        return to_tensor(self.gain * q.reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}
