"""Add, Subtract, Multiply, Average and their functional forms."""

import kbackend as K

from .base_merge import _Merge


class Add(_Merge):
    """Elementwise sum of the inputs."""

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = K.add(output, x)
        return output


class Subtract(_Merge):
    """inputs[0] - inputs[1]."""

    _exact_inputs = 2

    def _merge_function(self, inputs, masks):
        return K.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Elementwise product. As in Keras 3, a masked-out entry counts as 1 (it
    does not take part), and where every input is masked out the result is 0."""

    def _merge_function(self, inputs, masks):
        output = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                x = K.where(mask, x, K.ones_like(x))
            output = x if output is None else K.multiply(output, x)
        if all(m is not None for m in masks):
            kept = masks[0]
            for m in masks[1:]:
                kept = K.logical_or(kept, m)
            output = K.where(kept, output, K.zeros_like(output))
        return output


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = K.add(output, x)
        return K.divide(output, len(inputs))


def add(inputs, **kwargs):
    """Add()(inputs); kwargs go to the layer (name, dtype, ...)."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Subtract()(inputs): inputs[0] - inputs[1]."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Multiply()(inputs)."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Average()(inputs)."""
    return Average(**kwargs)(inputs)
