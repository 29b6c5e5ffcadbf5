"""What `compile(loss=..., metrics=...)` turns into: one loss object per
output with its weight, and metric objects per output, named as Keras logs
them (`loss`, `accuracy`, `output_a_loss`, `output_b_accuracy`, ...)."""

import numpy as np

import kbackend as K

from .. import losses as losses_module
from .. import metrics as metrics_module


def _per_output(spec, output_names, what):
    """spec as one entry per output: a single value applies to every output;
    a list must match the outputs; a dict is keyed by output name."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"Unknown output name(s) {unknown} in {what}; the model's outputs are "
                             f"{output_names}.")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what != "metrics":
        if len(spec) != n:
            raise ValueError(f"{what} has {len(spec)} entries, but the model has {n} output(s) {output_names}. "
                             "Give one per output, or a dict keyed by output name.")
        return list(spec)
    return [spec] * n


def flatten_outputs(structure, output_names):
    """A model's outputs (or targets) as a list in output_names order."""
    if isinstance(structure, dict):
        missing = [name for name in output_names if name not in structure]
        if missing:
            raise ValueError(f"Missing target(s) for output(s) {missing}; got keys {sorted(structure)}.")
        return [structure[name] for name in output_names]
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


def _loss_name(loss):
    fn = getattr(loss, "fn", loss)
    return getattr(fn, "__name__", type(loss).__name__)


class CompileLoss:
    def __init__(self, loss, loss_weights, output_names):
        self.output_names = list(output_names)
        specs = _per_output(loss, self.output_names, "loss")
        self.losses = [None if s is None else self._as_loss(s) for s in specs]
        if all(s is None for s in self.losses):
            raise ValueError("compile() needs a loss for at least one output.")
        weights = [1.0] * len(self.output_names) if loss_weights is None else \
            _per_output(loss_weights, self.output_names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]

    @staticmethod
    def _as_loss(spec):
        obj = losses_module.get(spec)
        if isinstance(obj, losses_module.Loss):
            return obj
        if callable(obj):
            return losses_module.LossFunctionWrapper(obj, name=_loss_name(obj))
        raise ValueError(f"Could not interpret loss {spec!r}.")

    def names(self):
        return [name for name, loss in zip(self.output_names, self.losses) if loss is not None]

    def __call__(self, y_true, y_pred, sample_weight=None):
        """(total weighted loss, [loss per output that has one])."""
        y_true = flatten_outputs(y_true, self.output_names)
        y_pred = flatten_outputs(y_pred, self.output_names)
        if len(y_true) != len(y_pred):
            raise ValueError(f"The model has {len(y_pred)} output(s) but {len(y_true)} target(s) were given.")
        weights = _sample_weights(sample_weight, self.output_names)
        total, parts = None, []
        for loss, w, yt, yp, sw in zip(self.losses, self.weights, y_true, y_pred, weights):
            if loss is None:
                continue
            value = loss(yt, yp, sample_weight=sw)
            parts.append(value)
            term = value if w == 1.0 else K.multiply(value, w)
            total = term if total is None else K.add(total, term)
        return total, parts


def _sample_weights(sample_weight, output_names):
    if sample_weight is None:
        return [None] * len(output_names)
    if isinstance(sample_weight, dict):
        return [sample_weight.get(name) for name in output_names]
    if isinstance(sample_weight, (list, tuple)):
        if len(sample_weight) != len(output_names):
            raise ValueError(f"sample_weight has {len(sample_weight)} entries for {len(output_names)} outputs.")
        return list(sample_weight)
    return [sample_weight] * len(output_names)


def resolve_accuracy(name, loss, y_true_shape, y_pred_shape):
    """Keras's reading of metrics=["accuracy"]: binary, sparse or categorical,
    from the loss and the shapes of targets and predictions."""
    loss_name = _loss_name(loss) if loss is not None else ""
    last = y_pred_shape[-1] if y_pred_shape else None
    if "binary" in loss_name or last == 1:
        fn = metrics_module.binary_accuracy
    elif "sparse" in loss_name or len(y_true_shape) < len(y_pred_shape) or \
            (y_true_shape and y_true_shape[-1] == 1 and (last or 0) > 1):
        fn = metrics_module.sparse_categorical_accuracy
    else:
        fn = metrics_module.categorical_accuracy
    return metrics_module.MeanMetricWrapper(fn, name=name)


_ACCURACY_NAMES = ("accuracy", "acc")
_CROSSENTROPY_NAMES = ("crossentropy", "ce")


class CompileMetrics:
    """Metric objects per output; built on the first batch, when the shapes
    that decide what "accuracy" means are known."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        self.specs = metrics
        self.weighted_specs = weighted_metrics
        self.metrics = []  # [(output index, metric, weighted)]
        self.built = False

    def build(self, y_true_shapes, y_pred_shapes, losses):
        multi = len(self.output_names) > 1
        for weighted, specs in ((False, self.specs), (True, self.weighted_specs)):
            if specs is None:
                continue
            per_output = self._split(specs)
            for i, entries in enumerate(per_output):
                for spec in entries:
                    metric = self._make(spec, losses[i] if i < len(losses) else None,
                                        y_true_shapes[i], y_pred_shapes[i])
                    if multi:
                        metric.name = f"{self.output_names[i]}_{metric.name}"
                    if weighted and not multi and self.specs is not None:
                        metric.name = f"weighted_{metric.name}" if any(
                            m.name == metric.name for _, m, _ in self.metrics) else metric.name
                    self.metrics.append((i, metric, weighted))
        self.built = True

    def _split(self, specs):
        n = len(self.output_names)
        if isinstance(specs, dict):
            unknown = [k for k in specs if k not in self.output_names]
            if unknown:
                raise ValueError(f"Unknown output name(s) {unknown} in metrics; outputs are {self.output_names}.")
            return [_as_list(specs.get(name)) for name in self.output_names]
        if isinstance(specs, (list, tuple)):
            if n > 1 and len(specs) == n and all(isinstance(s, (list, tuple)) or s is None for s in specs):
                return [_as_list(s) for s in specs]
            return [list(specs) for _ in range(n)]
        return [[specs] for _ in range(n)]

    @staticmethod
    def _make(spec, loss, y_true_shape, y_pred_shape):
        if isinstance(spec, str) and spec in _ACCURACY_NAMES:
            return resolve_accuracy(spec, loss, y_true_shape, y_pred_shape)
        if isinstance(spec, str) and spec in _CROSSENTROPY_NAMES:
            loss_name = _loss_name(loss) if loss is not None else ""
            if "binary" in loss_name or (y_pred_shape and y_pred_shape[-1] == 1):
                return metrics_module.BinaryCrossentropy(name=spec)
            if "sparse" in loss_name:
                return metrics_module.SparseCategoricalCrossentropy(name=spec)
            return metrics_module.CategoricalCrossentropy(name=spec)
        obj = metrics_module.get(spec)
        if isinstance(obj, metrics_module.Metric):
            return obj
        if callable(obj):
            name = spec if isinstance(spec, str) else getattr(obj, "__name__", "metric")
            return metrics_module.MeanMetricWrapper(obj, name=name)
        raise ValueError(f"Could not interpret metric {spec!r}.")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = flatten_outputs(y_true, self.output_names)
        y_pred = flatten_outputs(y_pred, self.output_names)
        weights = _sample_weights(sample_weight, self.output_names)
        for i, metric, weighted in self.metrics:
            metric.update_state(y_true[i], y_pred[i], sample_weight=weights[i] if weighted else None)

    def objects(self):
        return [m for _, m, _ in self.metrics]


def _as_list(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def shapes_of(structure, output_names):
    return [tuple(np.shape(t)) if not hasattr(t, "shape") else tuple(t.shape)
            for t in flatten_outputs(structure, output_names)]

