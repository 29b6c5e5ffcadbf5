"""core.regularizers: penalties on weights, added to the training loss.

A regularizer is called inside compiled training steps, so `__call__` uses
kbackend ops only and returns a scalar engine tensor.
"""

import math
import numbers

import kbackend as K

from .saving.serialization import Namespace


def _factor(value, name, who):
    """A penalty factor: a finite non-negative Python number, kept as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{who}: {name} must be a non-negative float; got {name}={value!r}.")
    return float(value)


class Regularizer:
    """Base class: `regularizer(weights)` returns a scalar penalty."""

    def __call__(self, x):
        return K.zeros(())

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be saved and rebuilt.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1(Regularizer):
    """l1 * sum(|x|). The older keyword `l=` is accepted for l1."""

    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop("l", l1)
        if kwargs:
            raise TypeError(f"L1 got unexpected arguments {sorted(kwargs)}; it takes l1.")
        self.l1 = _factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        return self.l1 * K.sum(K.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x ** 2). The older keyword `l=` is accepted for l2."""

    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop("l", l2)
        if kwargs:
            raise TypeError(f"L2 got unexpected arguments {sorted(kwargs)}; it takes l2.")
        self.l2 = _factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        return self.l2 * K.sum(K.square(x))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2). Both default to 0 here; the function
    `l1_l2()` and the string "l1_l2" default both to 0.01."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        x = K.convert_to_tensor(x)
        penalty = K.zeros((), dtype=K.dtype(x))
        if self.l1:
            penalty = penalty + self.l1 * K.sum(K.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * K.sum(K.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor times the mean |cosine| between distinct rows (mode="rows") or
    columns (mode="columns") of a 2-D weight, halved as Keras does:
    factor * 0.5 * sum_{i != j} |<u_i, u_j>| / (n (n - 1) / 2), u the
    L2-normalized rows or columns and n their count."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns'; got mode={mode!r}.")
        self.mode = mode

    def __call__(self, x):
        x = K.convert_to_tensor(x)
        shape = K.int_shape(x)
        if len(shape) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight; got shape {tuple(shape)}.")
        if self.mode == "columns":
            x = K.transpose(x)
        n = K.int_shape(x)[0]
        if n is None:
            raise ValueError(f"OrthogonalRegularizer needs the number of {self.mode} to be known; got shape {shape}.")
        units = K.l2_normalize(x, axis=1)
        cosines = K.matmul(units, K.transpose(units)) * (1.0 - K.eye(n, dtype=K.dtype(x)))
        pairs = n * (n - 1) / 2.0
        return self.factor * 0.5 * K.sum(K.abs(cosines)) / pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1=0.01, l2=0.01):
    """An L1L2 regularizer with both factors defaulting to 0.01 (Keras 2's function)."""
    return L1L2(l1=l1, l2=l2)


# snake_case aliases of the classes (Keras 2 and 3)
l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer

_OBJECTS = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_OBJECTS.update(l1=L1, l2=L2, l1_l2=l1_l2, orthogonal_regularizer=OrthogonalRegularizer)

_namespace = Namespace("regularizer", _OBJECTS)
serialize = _namespace.serialize


def deserialize(config, custom_objects=None):
    obj = _namespace.deserialize(config, custom_objects)
    if obj is l1_l2:  # the name of a factory: build the regularizer it names
        factors = (config.get("config") or {}) if isinstance(config, dict) else {}
        return l1_l2(**factors)
    return obj


def get(identifier):
    """A regularizer from a name, a config dict, a class, an instance or a
    function `fn(weights) -> scalar` (returned as is)."""
    if isinstance(identifier, type):
        return identifier()
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    return _namespace.get(identifier)
