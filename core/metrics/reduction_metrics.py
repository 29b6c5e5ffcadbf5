"""Sum, Mean, and MeanMetricWrapper (the weighted mean of any fn(y_true, y_pred))."""

import kbackend as K
from core.saving.serialization import serialize_keras_object

from .metric import Metric
from .metrics_utils import divide_no_nan, per_sample


class Sum(Metric):
    """The (weighted) sum of every value seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = per_sample(values, sample_weight, K.sum, self.dtype)
        self.total.assign_add(K.sum(values))

    def result(self):
        return self.total.value


class Mean(Metric):
    """The (weighted) mean of every value seen: total / count.

    Each sample (axis 0) counts once, weighted by its sample weight; a value
    with more axes contributes the mean over them.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        values, weights = per_sample(values, sample_weight, K.mean, self.dtype)
        self.total.assign_add(K.sum(values))
        if weights is not None:
            self.count.assign_add(K.sum(weights))
        elif K.ndim(values) == 0:
            self.count.assign_add(K.ones((), dtype=self.dtype))
        else:
            self.count.assign_add(K.sum(K.ones_like(values)))

    def result(self):
        return divide_no_nan(self.total.value, self.count.value)


class MeanMetricWrapper(Mean):
    """The weighted mean of fn(y_true, y_pred, **kwargs) over all samples.

    fn returns one value per sample (or per element: extra axes are averaged).
    The name defaults to fn's name.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper needs a function fn(y_true, y_pred); got {fn!r}.")
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        # subclasses fix fn themselves; only the bare wrapper has to save it
        if type(self) is MeanMetricWrapper:
            config["fn"] = serialize_keras_object(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from . import get
            config["fn"] = get(config["fn"])
        return cls(**config)
