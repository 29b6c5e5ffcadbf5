"""core.constraints: projections applied to weights after each optimizer step.

`constraint(w)` returns the projected tensor; it runs inside compiled training
steps, so it uses kbackend ops only.
"""

import kbackend as K

from .saving.serialization import Namespace


class Constraint:
    """Base class: the identity projection."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    return K.sqrt(K.sum(K.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales slices along `axis` whose L2 norm exceeds max_value down to it:
    w * clip(norm, 0, max_value) / (epsilon + norm)."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = K.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return w * (K.clip(norms, 0, self.max_value) / (K.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes the negative entries."""

    def __call__(self, w):
        w = K.convert_to_tensor(w)
        return w * K.cast(K.greater_equal(w, 0.0), K.dtype(w))


class UnitNorm(Constraint):
    """Scales slices along `axis` to unit L2 norm: w / (epsilon + norm)."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = K.convert_to_tensor(w)
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms along `axis` towards [min_value, max_value]:
    w * (rate * clip(norm, min, max) + (1 - rate) * norm) / (epsilon + norm);
    rate 1 enforces the bounds exactly, smaller rates step part of the way."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = K.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * K.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# snake_case aliases (Keras 2 and 3) and Keras 2's older spellings
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm

_OBJECTS = {cls.__name__: cls for cls in (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
_OBJECTS.update(max_norm=MaxNorm, maxnorm=MaxNorm, non_neg=NonNeg, nonneg=NonNeg, unit_norm=UnitNorm,
                unitnorm=UnitNorm, min_max_norm=MinMaxNorm)

_namespace = Namespace("constraint", _OBJECTS)
serialize = _namespace.serialize
deserialize = _namespace.deserialize


def get(identifier):
    """A constraint from a name, a config dict, a class, an instance or a
    function `fn(w) -> w` (returned as is)."""
    if isinstance(identifier, type):
        return identifier()
    return _namespace.get(identifier)
