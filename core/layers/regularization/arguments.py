"""Argument checks and seeding shared by the noise layers."""

import numbers

import kbackend as K

from ...utils.random_seed import draw_seed


def check_rate(owner, rate):
    """A drop rate in [0, 1): rate 1 would leave nothing to rescale."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"{owner}: rate must be a float in [0, 1) (the fraction of inputs to drop); got "
                         f"rate={rate!r}.")
    return float(rate)


def seed_generator(owner, layer_name, seed):
    """The layer's SeedGenerator. seed=None draws one from the host generator, so
    core.utils.set_random_seed makes the noise repeat (as Dropout does)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"{owner}: seed must be an int or None; got {type(seed).__name__}.")
    return K.SeedGenerator(draw_seed() if seed is None else int(seed), name=f"{layer_name}_seed_generator")
