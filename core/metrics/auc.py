"""AUC: the area under the ROC or precision-recall curve, from confusion
counts accumulated at a fixed set of thresholds (a Riemann sum over them)."""

import numpy as np

import kbackend as K

from .confusion_utils import KINDS, confusion_counts, parse_thresholds
from .metric import Metric
from .metrics_utils import divide_no_nan

_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC curve (curve="ROC") or the precision-recall curve ("PR").

    Without `thresholds`, num_thresholds points spread evenly over [0, 1]
    (the end points just outside it, so every prediction falls inside).
    summation_method: "interpolation" (trapezoids; for PR the interpolation
    of Davis & Goadrich), "minoring" or "majoring" (left/right heights that
    bound the curve from below/above). multi_label: one curve per label of
    (batch, labels) data, averaged (weighted by label_weights when given).
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if str(curve).lower() not in _CURVES:
            raise ValueError(f"curve must be 'ROC' or 'PR'; got {curve!r}.")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(f"summation_method must be one of {_SUMMATIONS}; got {summation_method!r}.")
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, default=None))
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be an integer > 1; got {num_thresholds!r}.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = [0.0 - K.epsilon()] + inner + [1.0 + K.epsilon()]
        self.num_thresholds = len(self.thresholds)
        self.multi_label = multi_label
        self._from_logits = from_logits
        if label_weights is not None:
            label_weights = np.asarray(label_weights, dtype="float64")
            if np.any(label_weights < 0):
                raise ValueError(f"label_weights must be non-negative; got {label_weights.tolist()}.")
        self.label_weights = label_weights
        self.num_labels = num_labels
        self._built = False
        if not multi_label:
            self._build(None)
        elif num_labels is not None:
            self._build(num_labels)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.num_labels = num_labels
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._built:  # multi_label without num_labels: sized by the first batch (call it eagerly)
            self._build(K.int_shape(y_pred)[-1])
        if self._from_logits:
            y_pred = K.sigmoid(y_pred)
        counts = confusion_counts(y_true, y_pred, self.thresholds, KINDS, self.dtype, sample_weight=sample_weight,
                                  multi_label=self.multi_label, label_weights=self.label_weights)
        for kind, variable in zip(KINDS, self._counts()):
            variable.assign_add(counts[kind])

    def _counts(self):
        return self.true_positives, self.false_positives, self.true_negatives, self.false_negatives

    def result(self):
        if not self._built:
            return K.zeros((), dtype=self.dtype)
        tp, fp, tn, fn = (v.value for v in self._counts())
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(tp, fp, fn)
        else:
            recall = divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, divide_no_nan(tp, tp + fp)
            heights = {"interpolation": lambda: (y[:-1] + y[1:]) / 2.0,
                       "minoring": lambda: K.minimum(y[:-1], y[1:]),
                       "majoring": lambda: K.maximum(y[:-1], y[1:])}[self.summation_method]()
            areas = (x[:-1] - x[1:]) * heights
        if not self.multi_label:
            return K.sum(areas)
        by_label = K.sum(areas, axis=0)
        if self.label_weights is None:
            return K.mean(by_label)
        weights = K.cast(self.label_weights, self.dtype)
        return divide_no_nan(K.sum(by_label * weights), K.sum(weights))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "from_logits": self._from_logits,
                  "label_weights": None if self.label_weights is None else self.label_weights.tolist()}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _interpolated_pr_areas(tp, fp, fn):
    """Pieces of the PR area between neighbouring thresholds, precision
    interpolated along the line joining their (tp, tp + fp) points (Davis &
    Goadrich, 2006) rather than linearly in recall."""
    predicted = tp + fp
    d_tp = tp[:-1] - tp[1:]
    d_predicted = predicted[:-1] - predicted[1:]
    slope = divide_no_nan(d_tp, K.maximum(d_predicted, 0.0))
    intercept = tp[1:] - slope * predicted[1:]
    both_positive = K.logical_and(K.greater(predicted[:-1], 0), K.greater(predicted[1:], 0))
    ratio = K.where(both_positive, divide_no_nan(predicted[:-1], K.maximum(predicted[1:], 0.0)),
                    K.ones_like(predicted[1:]))
    return divide_no_nan(slope * (d_tp + intercept * K.log(ratio)), K.maximum(tp[1:] + fn[1:], 0.0))
