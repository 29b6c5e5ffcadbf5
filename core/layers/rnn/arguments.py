"""Argument checks and Keras 1 spellings shared by the recurrent layers."""

import functools
import numbers
import warnings

from ..core.legacy_kwargs import renamed_kwargs

# Keras 1 names of the recurrent layers' arguments that are plain renames
RECURRENT_RENAMES = {
    "output_dim": "units", "init": "kernel_initializer", "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation", "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
    "U_constraint": "recurrent_constraint", "b_constraint": "bias_constraint", "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
}


def legacy_recurrent_kwargs(init):
    """Keras 1 spellings on a recurrent layer's __init__: the renames above, plus
    `forget_bias_init` ("one" meant unit_forget_bias=True) and `consume_less`
    (a speed hint, like `implementation`, which this library does not need)."""
    renamed = renamed_kwargs(**RECURRENT_RENAMES)(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        owner = type(self).__name__
        if "forget_bias_init" in kwargs:
            value = kwargs.pop("forget_bias_init")
            warnings.warn(f"{owner}(forget_bias_init=...) is the Keras 1 spelling and is deprecated; use "
                          f"{owner}(unit_forget_bias=True) for a forget-gate bias of ones.", DeprecationWarning,
                          stacklevel=2)
            kwargs.setdefault("unit_forget_bias", value in ("one", "ones"))
        if "consume_less" in kwargs:
            kwargs.pop("consume_less")
            warnings.warn(f"{owner}(consume_less=...) is the Keras 1 spelling and is deprecated; remove it (every "
                          "implementation computes the same values).", DeprecationWarning, stacklevel=2)
        return renamed(self, *args, **kwargs)
    return wrapper


def check_rate(owner, name, value):
    """A dropout fraction in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{owner}: {name} must be a float in [0, 1) (the fraction of units to drop); "
                         f"got {name}={value!r}.")
    return float(value)


def check_seed(owner, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"{owner}: seed must be an int or None; got {type(seed).__name__}.")
    return seed


def sequence_shape_error(layer, shape, what="(batch, timesteps, features)"):
    return ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) expects inputs of shape {what}, i.e. rank 3 "
                      f"or more; got shape {tuple(shape)}.")
