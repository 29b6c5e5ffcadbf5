"""Accuracy functions (one value per sample) and their streaming classes."""

import kbackend as K

from .metrics_utils import match_ranks
from .reduction_metrics import MeanMetricWrapper


def _per_sample_mean(matches):
    """Elementwise matches of (batch, ..., n) averaged over the last axis; 1-D stays per sample."""
    matches = K.cast(matches, K.floatx())
    return K.mean(matches, axis=-1) if K.ndim(matches) > 1 else matches


def accuracy(y_true, y_pred):
    """How often y_pred equals y_true exactly."""
    y_true, y_pred = match_ranks(y_true, y_pred)
    return _per_sample_mean(K.equal(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often y_pred > threshold agrees with the 0/1 label y_true."""
    y_true, y_pred = match_ranks(y_true, y_pred)
    predicted = K.cast(K.greater(y_pred, K.cast(threshold, K.dtype(y_pred))), K.dtype(y_true))
    return _per_sample_mean(K.equal(y_true, predicted))


def categorical_accuracy(y_true, y_pred):
    """How often the argmax of y_pred is the argmax of the one-hot y_true."""
    return K.cast(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)), K.floatx())


def _sparse_labels(y_true, y_pred):
    """Integer-valued labels with y_pred's shape minus its class axis ((batch, 1) -> (batch,))."""
    y_true = K.convert_to_tensor(y_true)
    if K.ndim(y_true) == K.ndim(y_pred) and K.int_shape(y_true)[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """How often the argmax of y_pred is the class index y_true (int or float labels)."""
    y_pred = K.convert_to_tensor(y_pred)
    y_true = _sparse_labels(y_true, y_pred)
    predicted = K.cast(K.argmax(y_pred, axis=-1), K.dtype(y_true))
    return K.cast(K.equal(y_true, predicted), K.floatx())


def _in_top_k(y_pred, labels, k):
    """in_top_k over any leading axes: y_pred (..., classes), labels (...)."""
    leading = K.shape(labels)
    scores = K.reshape(y_pred, (-1, K.int_shape(y_pred)[-1]))
    hits = K.in_top_k(scores, K.reshape(K.cast(labels, "int32"), (-1,)), k)
    hits = K.cast(hits, K.floatx())
    return K.reshape(hits, leading) if K.ndim(labels) != 1 else hits


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """How often the one-hot y_true's class is among the k highest scores of y_pred."""
    y_pred = K.convert_to_tensor(y_pred)
    return _in_top_k(y_pred, K.argmax(y_true, axis=-1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """How often the class index y_true is among the k highest scores of y_pred."""
    y_pred = K.convert_to_tensor(y_pred)
    return _in_top_k(y_pred, _sparse_labels(y_true, y_pred), k)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
