"""Confusion-matrix counts at a set of thresholds, for all samples at once.

Every (threshold, prediction) pair is compared in one broadcast: a prediction
is positive at threshold t when it is strictly above t; a label is positive
when it is nonzero.
"""

import numbers

import numpy as np

import kbackend as K

from .metrics_utils import broadcast_weights, match_ranks

# what top_k filtering puts in place of the predictions it drops
NEG_INF = -1e10
KINDS = ("tp", "fp", "tn", "fn")


def parse_thresholds(thresholds, default):
    """A list of floats from None (-> [default]), one number, or a sequence; each in [0, 1]."""
    if thresholds is None:
        return [default]
    values = [thresholds] if isinstance(thresholds, numbers.Number) else list(np.ravel(thresholds))
    if not values:
        raise ValueError("thresholds must not be empty; pass a float in [0, 1] or a list of them.")
    values = [float(t) for t in values]
    if any(not 0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"Threshold values must be in [0, 1]; got {values}.")
    return values


def keep_top_k(y_pred, k):
    """y_pred with all but its k largest entries (last axis) replaced by NEG_INF."""
    _, indices = K.top_k(y_pred, k)
    kept = K.sum(K.one_hot(indices, K.int_shape(y_pred)[-1]), axis=-2)
    return K.where(K.greater(kept, 0), y_pred, K.cast(NEG_INF, K.dtype(y_pred)))


def confusion_counts(y_true, y_pred, thresholds, kinds, dtype, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None):
    """{kind: weighted count at each threshold} for kind in kinds ("tp", "fp", "tn", "fn").

    Counts have shape (len(thresholds),), or (len(thresholds), labels) with
    multi_label (y_pred (batch, labels), one count per label).
    """
    y_true, y_pred = K.cast(y_true, dtype), K.cast(y_pred, dtype)
    y_pred, y_true = match_ranks(y_pred, y_true)
    if K.int_shape(y_true) != K.int_shape(y_pred) and None not in K.int_shape(y_pred):
        raise ValueError(f"y_true of shape {K.int_shape(y_true)} does not match y_pred of shape "
                         f"{K.int_shape(y_pred)}; confusion metrics need one label per prediction.")
    if top_k is not None:
        y_pred = keep_top_k(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
    weights = K.ones_like(y_pred) if sample_weight is None else broadcast_weights(K.cast(sample_weight, dtype),
                                                                                  y_pred)
    if label_weights is not None and not multi_label:
        weights = weights * K.cast(label_weights, dtype)

    thresholds = np.asarray(thresholds, dtype="float64")
    if multi_label:
        if K.ndim(y_pred) != 2:
            raise ValueError(f"multi_label needs predictions of shape (batch, labels); got {K.int_shape(y_pred)}.")
        # (thresholds, batch, labels), counted over the batch
        shape = (len(thresholds), 1, 1)
        y_true, y_pred, weights = (K.expand_dims(t, 0) for t in (y_true, y_pred, weights))
    else:
        # (thresholds, every prediction), counted over the predictions
        shape = (len(thresholds), 1)
        y_true, y_pred, weights = (K.reshape(t, (1, -1)) for t in (y_true, y_pred, weights))
    predicted = K.cast(K.greater(y_pred, K.cast(thresholds.reshape(shape), dtype)), dtype)
    actual = K.cast(K.not_equal(y_true, 0), dtype)
    masks = {"tp": lambda: actual * predicted, "fp": lambda: (1.0 - actual) * predicted,
             "tn": lambda: (1.0 - actual) * (1.0 - predicted), "fn": lambda: actual * (1.0 - predicted)}
    return {kind: K.sum(masks[kind]() * weights, axis=1) for kind in kinds}
