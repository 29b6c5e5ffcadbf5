"""The Loss base class and LossFunctionWrapper (a Loss around a plain function)."""

import re

import kbackend as K
from kbackend import tree

from .reduction import reduce_weighted_values, squeeze_or_expand_to_same_rank, standardize_reduction


def _snake_case(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _dtype_name(dtype):
    """A dtype given as a string or as Keras 3's serialized DTypePolicy dict."""
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name")
    return dtype


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample
    losses; calling the object weighs them by sample_weight and reduces them.

    dtype: the dtype inputs are cast to and the loss is computed in (floatx by default).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = _dtype_name(dtype)

    @property
    def dtype(self):
        return self._dtype or K.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        def to_dtype(x):
            return K.cast(x, self.dtype)

        y_true = tree.map_structure(to_dtype, y_true)
        y_pred = tree.map_structure(to_dtype, y_pred)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=self._loss_mask(y_true, y_pred),
                                      reduction=self.reduction, dtype=self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _loss_mask(self, y_true, y_pred):
        """Entries of the per-sample losses that count (None: all); see SparseCategoricalCrossentropy."""

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        if self._dtype is not None:
            config["dtype"] = self._dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A Loss computing `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper needs a function fn(y_true, y_pred); got {fn!r}.")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if K.is_tensor(y_true) and K.is_tensor(y_pred):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from core.saving import serialize_keras_object
        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from . import deserialize
            config["fn"] = deserialize(config["fn"])
        return cls(**config)
