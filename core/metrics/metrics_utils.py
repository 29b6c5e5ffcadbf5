"""Shape and weighting helpers shared by the metrics (kbackend ops only)."""

import kbackend as K
from core.losses.reduction import squeeze_or_expand_to_same_rank
from kbackend import dtypes


def match_ranks(x, y):
    """x and y as tensors, their ranks lined up as the losses do it: where they differ by a
    trailing axis of length 1, a 1-D partner gains that axis, otherwise the extra axis goes."""
    return squeeze_or_expand_to_same_rank(K.convert_to_tensor(x), K.convert_to_tensor(y))


def float_pair(y_true, y_pred):
    """y_true and y_pred as tensors of y_pred's float dtype (floatx for integer
    predictions), their ranks lined up."""
    y_pred = K.convert_to_tensor(y_pred)
    if not dtypes.is_float(K.dtype(y_pred)):
        y_pred = K.cast(y_pred, K.floatx())
    return match_ranks(K.cast(y_true, K.dtype(y_pred)), y_pred)


def broadcast_weights(sample_weight, like):
    """sample_weight (scalar, (batch,), (batch, 1), ...) spread to like's shape."""
    sample_weight, like = match_ranks(sample_weight, like)
    if K.ndim(sample_weight) > K.ndim(like):
        raise ValueError(f"sample_weight of shape {K.int_shape(sample_weight)} has more axes than the values "
                         f"it weights (shape {K.int_shape(like)}); pass one weight per sample.")
    while K.ndim(sample_weight) < K.ndim(like):
        sample_weight = K.expand_dims(sample_weight, -1)
    return sample_weight * K.ones_like(like)


def per_sample(values, sample_weight, reduce, dtype):
    """(values, weights) reduced to one entry per sample (axis 0).

    Without weights the values are reduced over their non-batch axes. With
    weights, values are first reduced to the weights' rank, then weighted,
    then both are reduced to (batch,) (weights by their mean, so that a
    per-element weight counts as its share of a sample). A scalar weight
    weights every element.
    """
    values = K.cast(values, dtype)
    if sample_weight is None:
        if K.ndim(values) > 1:
            values = reduce(values, axis=tuple(range(1, K.ndim(values))))
        return values, None
    weights = K.cast(sample_weight, dtype)
    if K.ndim(weights) == 0:
        weights = weights * K.ones_like(values)
    values, weights = match_ranks(values, weights)
    if K.ndim(weights) > K.ndim(values):
        raise ValueError(f"sample_weight of shape {K.int_shape(weights)} has more axes than the metric values "
                         f"(shape {K.int_shape(values)}); pass one weight per sample.")
    if K.ndim(values) > K.ndim(weights):
        values = reduce(values, axis=tuple(range(K.ndim(weights), K.ndim(values))))
    weights = weights * K.ones_like(values)
    values = values * weights
    if K.ndim(values) > 1:
        axes = tuple(range(1, K.ndim(values)))
        values, weights = reduce(values, axis=axes), K.mean(weights, axis=axes)
    return values, weights


def divide_no_nan(x, y):
    """x / y, with 0 where y is 0."""
    zero = K.equal(y, 0)
    return K.where(zero, K.zeros_like(x * y), x / K.where(zero, K.ones_like(y), y))
