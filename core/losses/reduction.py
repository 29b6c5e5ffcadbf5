"""From per-sample losses to the number a Loss object returns.

Keras 3's reductions: "sum_over_batch_size" (the default: the weighted sum
divided by the number of loss entries), "sum", "mean" (the same as
sum_over_batch_size), "mean_with_sample_weight" (divided by the total weight
instead) and "none"/None (the weighted losses themselves). Keras 2's "auto"
means sum_over_batch_size.
"""

import kbackend as K

ALLOWED = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Reduction:
    """Keras 2's `tf.keras.losses.Reduction` constants, for code that still names them."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        standardize_reduction(key)


def standardize_reduction(reduction):
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in ALLOWED:
        raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}. Expected one of "
                         f"{', '.join(repr(r) for r in ALLOWED)} (or Keras 2's 'auto').")
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make two tensors whose ranks differ by one trailing axis of size 1 the same rank:
    a rank-1 partner gains that axis (when expand_rank_1), otherwise the size-1 axis goes."""
    r1, r2 = K.ndim(x1), K.ndim(x2)
    if r1 == r2 + 1 and K.int_shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = K.expand_dims(x2, -1)
        else:
            x1 = K.squeeze(x1, -1)
    elif r2 == r1 + 1 and K.int_shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = K.expand_dims(x1, -1)
        else:
            x2 = K.squeeze(x2, -1)
    return x1, x2


def _match_weight(values, weight):
    """weight made broadcastable against values: same rank via the rule above, then
    trailing axes added (a (batch,) weight over (batch, steps) losses weighs each sample)."""
    values, weight = squeeze_or_expand_to_same_rank(values, weight)
    for _ in range(K.ndim(values) - K.ndim(weight)):
        weight = K.expand_dims(weight, -1)
    return values, weight


def _mask_as_weight(values, mask, sample_weight, reduction):
    """Fold a validity mask into the sample weights. For the averaging reductions the
    valid entries are scaled by total/valid, so that dividing by the entry count
    averages over the valid entries only."""
    mask = K.cast(mask, K.dtype(values))
    if reduction in ("sum_over_batch_size", "mean"):
        total = K.sum(K.ones_like(mask))
        mask = mask * (total / (K.sum(mask) + K.epsilon()))
    if sample_weight is None:
        return mask
    mask, sample_weight = _match_weight(mask, sample_weight)
    return sample_weight * mask


def _safe_divide(a, b):
    """a / b, and 0 where b is 0 (no NaN in the value or the gradient)."""
    zero = K.equal(b, 0)
    return K.where(zero, K.zeros_like(a), a / K.where(zero, K.ones_like(b), b))


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Weigh per-sample losses by sample_weight (and mask), then reduce them."""
    reduction = standardize_reduction(reduction)
    values = K.convert_to_tensor(values)
    dtype = dtype or K.dtype(values)
    values = K.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = K.cast(sample_weight, dtype)
    if mask is not None:
        sample_weight = _mask_as_weight(values, mask, sample_weight, reduction)
    if sample_weight is not None:
        values, sample_weight = _match_weight(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or K.ndim(values) == 0:
        return values
    if 0 in K.int_shape(values):
        return K.sum(values)
    total = K.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _safe_divide(total, K.sum(sample_weight * K.ones_like(values)))
    return K.mean(values)
