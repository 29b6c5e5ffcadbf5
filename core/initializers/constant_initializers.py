"""Initializers without randomness: Zeros, Ones, Constant, Identity."""

import numpy as np

from .initializer import Initializer, standardize_shape, to_tensor


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return to_tensor(np.zeros(standardize_shape(shape, "Zeros")), dtype)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return to_tensor(np.ones(standardize_shape(shape, "Ones")), dtype)


class Constant(Initializer):
    """Every entry set to `value` (a scalar, or an array broadcastable to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "Constant")
        value = np.asarray(self.value)
        try:
            return to_tensor(np.broadcast_to(value, shape), dtype)
        except ValueError:
            raise ValueError(f"Constant: value of shape {value.shape} cannot fill a tensor of shape {shape}; "
                             "pass a scalar or an array broadcastable to that shape.") from None

    def get_config(self):
        value = self.value
        # arrays become lists so the config stays JSON
        return {"value": value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value}


class Identity(Initializer):
    """gain times the identity matrix (2-D shapes only; non-square shapes get
    ones on the main diagonal)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity initializer only makes 2-D matrices; got shape {shape}. "
                             "Use Orthogonal for kernels of other ranks.")
        return to_tensor(self.gain * np.eye(*shape), dtype)

    def get_config(self):
        return {"gain": self.gain}
