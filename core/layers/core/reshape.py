"""Reshape: each sample to target_shape (batch axis kept; one -1 inferred)."""

import math
import numbers

import kbackend as K

from ..layer import Layer


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(target_shape, (tuple, list)):
            raise TypeError(f"Reshape: target_shape must be a tuple of ints (without the batch size); got "
                            f"{target_shape!r}.")
        if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or (d < 1 and d != -1)
               for d in target_shape) or list(target_shape).count(-1) > 1:
            raise ValueError(f"Reshape: target_shape entries must be positive ints, with at most one -1 (inferred); "
                             f"got {tuple(target_shape)}.")
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolve(self, input_shape):
        """The target shape with -1 filled in (None when the input's sizes are not all known)."""
        rest = tuple(input_shape[1:])
        if None in rest:
            return tuple(None if d == -1 else d for d in self.target_shape)
        total, known = math.prod(rest), math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape and total % known == 0:
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total or -1 in self.target_shape:
            raise ValueError(f"Layer '{self.name}' (Reshape) cannot reshape an input of shape {tuple(input_shape)} "
                             f"({total} values per sample) to target_shape {self.target_shape}: the number of "
                             "values per sample must stay the same.")
        return self.target_shape

    def call(self, inputs):
        target = self._resolve(K.int_shape(inputs))
        return K.reshape(inputs, (K.shape(inputs)[0],) + tuple(-1 if d is None else d for d in target))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config
