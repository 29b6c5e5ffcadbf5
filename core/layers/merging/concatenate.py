"""Concatenate: join the inputs along one axis; the other axes must agree.

The output mask follows Keras 3: each input's mask is broadcast to the input's
shape (an input without a mask counts as all kept), the masks are concatenated
along `axis` like the inputs, and a step is kept if any of its features is.
"""

import numbers

import kbackend as K

from .base_merge import _Merge, _full_mask, _shape_text


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Concatenate: axis must be an int; got axis={axis!r}.")
        self.axis = int(axis)

    def _check_shapes(self, input_shape):
        self._check_list_of_shapes(input_shape)
        ranks = {len(s) for s in input_shape}
        rank = len(input_shape[0])
        if len(ranks) > 1 or not -rank <= self.axis < rank:
            self._fail(f"needs inputs of one rank that have axis {self.axis}; got input shapes "
                       f"{_shape_text(input_shape)}.")
        axis = self.axis % rank
        for i in range(rank):
            sizes = {s[i] for s in input_shape} - {None}
            if i != axis and len(sizes) > 1:
                self._fail(f"needs inputs with matching shapes except along the concatenation axis {self.axis}; "
                           f"got input shapes {_shape_text(input_shape)} (they differ on axis {i}).")
        return axis

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        axis = self._check_shapes(input_shape)
        out = []
        for i in range(len(input_shape[0])):
            sizes = [s[i] for s in input_shape]
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
            else:
                known = [d for d in sizes if d is not None]
                out.append(known[0] if known else None)
        return tuple(out)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._fail(f"must be called on a list of tensors; got a single tensor of shape {K.int_shape(inputs)}.")
        return K.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            self._fail("mask must be a list with one entry (a mask or None) per input.")
        if all(m is None for m in mask):
            return None
        full = [K.ones_like(x, dtype="bool") if m is None else _full_mask(m, x) for x, m in zip(inputs, mask)]
        return K.any(K.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def concatenate(inputs, axis=-1, **kwargs):
    """Concatenate(axis=axis)(inputs)."""
    return Concatenate(axis=axis, **kwargs)(inputs)
