"""Softmax: exp(x) normalized to sum to 1 along `axis` (an int, or a list of
axes normalized jointly). With a mask, masked positions get a large negative
logit before normalizing and exactly 0 after, so the probability goes to the
unmasked ones (a mask of lower rank than the input covers its leading axes)."""

import numbers

import kbackend as K

from ..layer import Layer


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _large_negative(dtype):
    """A logit whose exp underflows to 0, yet representable in dtype."""
    return -3e4 if dtype == "float16" else -1e9


class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not (_is_int(axis) or (isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis))):
            raise TypeError(f"Softmax: axis must be an int or a non-empty list of ints; got axis={axis!r}.")
        self.axis = int(axis) if _is_int(axis) else [int(a) for a in axis]
        self.supports_masking = True

    def call(self, inputs, mask=None):
        dtype = K.dtype(inputs)
        if mask is not None:
            keep = K.cast(mask, dtype)
            for _ in range(K.ndim(inputs) - K.ndim(keep)):
                keep = K.expand_dims(keep, -1)
            inputs = K.add(inputs, K.multiply(K.subtract(1.0, keep), _large_negative(dtype)))
        if isinstance(self.axis, int) or len(self.axis) == 1:
            outputs = K.softmax(inputs, axis=self.axis if isinstance(self.axis, int) else self.axis[0])
        else:
            outputs = K.exp(K.subtract(inputs, K.logsumexp(inputs, axis=tuple(self.axis), keepdims=True)))
        return outputs if mask is None else K.multiply(outputs, keep)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
