"""Dot: per-sample dot product of two tensors over one axis of each.

axes: an int (the same axis of both inputs; negative counts from each input's
end) or a pair (axis of the first, axis of the second). The output shape is the
first input's shape without its axis, followed by the second's without its batch
axis and its axis; a result with no axis left but the batch is (batch, 1).
normalize=True L2-normalizes both inputs along their axes first, which makes
the result the cosine similarity.
"""

import numbers

import kbackend as K

from .base_merge import _Merge, _shape_text


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Dot(_Merge):
    _exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(axes):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot: axes must be an int or a list/tuple of two ints; got axes={axes!r}.")
            if len(axes) != 2 or not all(_is_int(a) for a in axes):
                raise ValueError(f"Dot: axes must be an int or a pair of ints (one axis per input); got axes={axes!r}.")
            axes = [int(a) for a in axes]
        else:
            axes = int(axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, shapes):
        """The two contracted axes, as non-negative indices, checked against shapes."""
        ranks = [len(s) for s in shapes]
        if min(ranks) < 2:
            self._fail(f"needs inputs of rank >= 2 (batch first); got input shapes {_shape_text(shapes)}.")
        pair = [self.axes, self.axes] if _is_int(self.axes) else list(self.axes)
        resolved = []
        for a, rank in zip(pair, ranks):
            if not -rank <= a < rank:
                self._fail(f"axes={self.axes} is out of range for input shapes {_shape_text(shapes)}.")
            resolved.append(a % rank)
        if 0 in resolved:
            self._fail(f"cannot take the dot product over the batch axis 0 (axes={self.axes}); choose axes >= 1.")
        d1, d2 = shapes[0][resolved[0]], shapes[1][resolved[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            self._fail(f"incompatible input shapes: axis {resolved[0]} of the first input has size {d1} but axis "
                       f"{resolved[1]} of the second has size {d2}. Full input shapes: {_shape_text(shapes)}.")
        return resolved

    def build(self, input_shape):
        self._check_list_of_shapes(input_shape)
        self._resolve_axes(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_list_of_shapes(input_shape)
        a1, a2 = self._resolve_axes(input_shape)
        first = [d for i, d in enumerate(input_shape[0]) if i != a1]
        second = [d for i, d in enumerate(input_shape[1]) if i not in (0, a2)]
        out = first + second
        return tuple(out + [1] if len(out) == 1 else out)

    def _merge_function(self, inputs, masks):
        x1, x2 = inputs
        a1, a2 = self._resolve_axes([K.int_shape(x1), K.int_shape(x2)])
        if self.normalize:
            x1, x2 = K.l2_normalize(x1, axis=a1), K.l2_normalize(x2, axis=a2)
        return K.batch_dot(x1, x2, axes=(a1, a2))

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._fail(f"must be called on a list of 2 tensors; got a single tensor of shape {K.int_shape(inputs)}.")
        inputs = list(inputs)
        self._check_count(len(inputs), [K.int_shape(x) for x in inputs])
        return self._merge_function(inputs, None)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Dot(axes, normalize)(inputs)."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
