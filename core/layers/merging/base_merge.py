"""What every merge layer shares: a list of tensors in, one tensor out.

Elementwise merges broadcast as Keras does: the non-batch shapes are aligned
from the right and size-1 axes stretch, and a lower-rank input gets size-1 axes
inserted right after its batch axis, so a (batch, 8) tensor merges with a
(batch, 5, 8) one. The output mask is Keras 3's: the OR of the input masks when
every input has one (a step is kept if any input kept it), else no mask.
"""

import kbackend as K

from ..layer import Layer


def _shape_text(shapes):
    return "[" + ", ".join(str(tuple(s)) for s in shapes) + "]"


class _Merge(Layer):
    """Base of the merge layers. Subclasses define `_merge_function(inputs, masks)`,
    masks being one full-shape bool tensor (or None) per input."""

    _exact_inputs = None  # Subtract and Dot take exactly 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _fail(self, message):
        raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): {message}")

    def _check_count(self, count, shapes):
        if self._exact_inputs is not None and count != self._exact_inputs:
            self._fail(f"expects exactly {self._exact_inputs} inputs, but received {count} "
                       f"(input shapes {_shape_text(shapes)}).")
        if count < 1:
            self._fail("expects a list of at least 1 input tensor; received an empty list.")

    def _check_list_of_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in input_shape) \
                or not input_shape:
            self._fail(f"must be called on a list of tensors, e.g. {type(self).__name__}()([x1, x2]); got a "
                       f"single input of shape {tuple(input_shape) if input_shape is not None else None}.")
        self._check_count(len(input_shape), input_shape)
        batch_sizes = {s[0] for s in input_shape if len(s)} - {None}
        if len(batch_sizes) > 1:
            self._fail(f"cannot merge tensors with different batch sizes; got input shapes {_shape_text(input_shape)}.")

    # -- shapes ------------------------------------------------------------------------------------------------------
    def _broadcast(self, shapes):
        """The broadcast non-batch shape of input shapes (batch included)."""
        out = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            a, b = out, tuple(shape[1:])
            if len(a) < len(b):
                a, b = b, a
            b = (1,) * (len(a) - len(b)) + b
            merged = []
            for i, j in zip(a, b):
                if i is None or j is None:
                    merged.append(None)
                elif i == 1 or j == 1 or i == j:
                    merged.append(j if i == 1 else i)
                else:
                    self._fail(f"inputs have incompatible shapes {_shape_text(shapes)}: non-batch axes must be equal "
                               "or 1 (they broadcast as in numpy, aligned from the last axis).")
            out = tuple(merged)
        return out

    def build(self, input_shape):
        self._check_list_of_shapes(input_shape)
        self._broadcast(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_list_of_shapes(input_shape)
        batch_sizes = {s[0] for s in input_shape if len(s)} - {None}
        batch = batch_sizes.pop() if batch_sizes else None
        return (batch,) + self._broadcast(input_shape)

    # -- calling -----------------------------------------------------------------------------------------------------
    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            self._fail(f"must be called on a list of tensors; got a single tensor of shape {K.int_shape(inputs)}.")
        inputs = list(inputs)
        self._check_count(len(inputs), [K.int_shape(x) for x in inputs])
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        masks = [None if m is None else _full_mask(m, x) for x, m in zip(inputs, masks)]
        rank = max(K.ndim(x) for x in inputs)
        inputs = [_lift(x, rank) for x in inputs]
        masks = [None if m is None else _lift(m, rank) for m in masks]
        return self._merge_function(inputs, masks)

    def _merge_function(self, inputs, masks):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            self._fail("mask must be a list with one entry (a mask or None) per input.")
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = K.logical_or(out, m)
        return out


def _full_mask(mask, x):
    """A (batch, steps) mask broadcast to x's full shape."""
    mask = K.cast(mask, "bool")
    while K.ndim(mask) < K.ndim(x):
        mask = K.expand_dims(mask, -1)
    return K.logical_and(mask, K.ones_like(x, dtype="bool"))


def _lift(x, rank):
    """x with size-1 axes inserted after the batch axis up to rank."""
    while K.ndim(x) < rank:
        x = K.expand_dims(x, 1)
    return x


def fold_with_masks(op, inputs, masks):
    """op folded over inputs, where an input's masked-out entries do not take
    part (Keras 3's rule for Maximum and Minimum, which have no neutral value):
    a position masked in one input takes the other's value."""
    output, output_mask = inputs[0], masks[0]
    for x, mask in zip(inputs[1:], masks[1:]):
        if mask is not None:
            x = K.where(mask, x, output)
        if output_mask is not None:
            output = K.where(output_mask, output, x)
        output_mask = K.logical_or(output_mask, mask) if mask is not None and output_mask is not None else None
        output = op(output, x)
    return output
