"""Hinge metrics for -1/1 (or 0/1) labels: per-sample functions and streaming means."""

import kbackend as K

from .metrics_utils import float_pair
from .reduction_metrics import MeanMetricWrapper


def _signed_labels(y_true):
    """0/1 labels become -1/1; labels that are not all 0 or 1 are left as they are."""
    binary = K.all(K.logical_or(K.equal(y_true, 0), K.equal(y_true, 1)))
    return K.where(binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    y_true, y_pred = float_pair(y_true, y_pred)
    return K.mean(K.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = float_pair(y_true, y_pred)
    return K.mean(K.square(K.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(0, 1 + best wrong-class score - true-class score) for one-hot y_true."""
    y_true, y_pred = float_pair(y_true, y_pred)
    positive = K.sum(y_true * y_pred, axis=-1)
    negative = K.max((1.0 - y_true) * y_pred, axis=-1)
    return K.maximum(negative - positive + 1.0, 0.0)


class Hinge(MeanMetricWrapper):
    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
