"""The class forms of the built-in losses (Keras 3's names, signatures and defaults)."""

import kbackend as K

from . import losses
from .loss import LossFunctionWrapper


class _BuiltinLoss(LossFunctionWrapper):
    """A wrapper whose function is fixed by the class, so its config names no fn."""

    def get_config(self):
        config = super().get_config()
        config.pop("fn")
        return config

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items() if k != "fn"}  # Keras 2's .keras files may record it
        return cls(**config)


class MeanSquaredError(_BuiltinLoss):
    """Mean of (y_true - y_pred)^2 over the last axis."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean of |y_true - y_pred| over the last axis."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """100 * mean of |y_true - y_pred| / |y_true|."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """Mean of (log(1 + y_pred) - log(1 + y_true))^2."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


class Hinge(_BuiltinLoss):
    """Mean of max(1 - y_true * y_pred, 0); labels -1/1 or 0/1."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(losses.hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """Mean of max(1 - y_true * y_pred, 0)^2."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """max(0, 1 + best wrong score - true score) for one-hot y_true."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class Poisson(_BuiltinLoss):
    """Mean of y_pred - y_true * log(y_pred)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(losses.poisson, reduction=reduction, name=name, dtype=dtype)


class LogCosh(_BuiltinLoss):
    """Mean of log(cosh(y_pred - y_true))."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(losses.log_cosh, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_BuiltinLoss):
    """Kullback-Leibler divergence of y_pred from y_true."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Huber(_BuiltinLoss):
    """Quadratic for errors up to delta, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(losses.huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class CosineSimilarity(_BuiltinLoss):
    """Minus the cosine similarity along axis."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(losses.cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(_BuiltinLoss):
    """Crossentropy for 0/1 targets; y_pred probabilities, or logits with from_logits=True."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(losses.binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy for one-hot targets."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(losses.categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy for integer class labels. With ignore_class, entries with that
    label count neither in the sum nor in the averaging."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(losses.sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        # labels (batch,) against (batch, classes): the ranks differ on purpose, so no squeezing here
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _loss_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        return K.not_equal(losses.sparse_labels(y_true, y_pred), self.ignore_class)
