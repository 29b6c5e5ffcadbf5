"""Loss functions: fn(y_true, y_pred) -> per-sample losses, Keras 3's formulas.

Elementwise losses are averaged over the last axis (as Keras does); the
categorical ones reduce over the class axis. y_true is cast to y_pred's dtype
and, where the two differ by a trailing axis of size 1, brought to the same rank.
Everything here is K ops only: it runs inside compiled training steps.
"""

import math
import warnings

import kbackend as K
from kbackend import dtypes

from .reduction import squeeze_or_expand_to_same_rank


def _operands(y_true, y_pred):
    y_pred = K.convert_to_tensor(y_pred)
    if not dtypes.is_float(K.dtype(y_pred)):
        y_pred = K.cast(y_pred, K.floatx())
    y_true = K.cast(y_true, K.dtype(y_pred))
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _check_axis(axis, fn_name):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{fn_name}: `axis` must be an int (the class axis); got axis={axis!r}.")


# -- regression ----------------------------------------------------------------

def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _operands(y_true, y_pred)
    return K.mean(K.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _operands(y_true, y_pred)
    return K.mean(K.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))."""
    y_true, y_pred = _operands(y_true, y_pred)
    scale = K.maximum(K.abs(y_true), K.epsilon())
    return 100.0 * K.mean(K.abs((y_true - y_pred) / scale), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(1 + y_pred) - log(1 + y_true))^2), both floored at epsilon first."""
    y_true, y_pred = _operands(y_true, y_pred)
    log_pred = K.log(K.maximum(y_pred, K.epsilon()) + 1.0)
    log_true = K.log(K.maximum(y_true, K.epsilon()) + 1.0)
    return K.mean(K.square(log_pred - log_true), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic (0.5 e^2) for |e| <= delta, linear (delta |e| - 0.5 delta^2) beyond."""
    y_true, y_pred = _operands(y_true, y_pred)
    error = y_pred - y_true
    abs_error = K.abs(error)
    quadratic = 0.5 * K.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return K.mean(K.where(K.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))), written as x + softplus(-2x) - log 2 so it cannot overflow."""
    y_true, y_pred = _operands(y_true, y_pred)
    x = y_pred - y_true
    return K.mean(x + K.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Minus the cosine of the angle between y_true and y_pred along axis (-1 is best)."""
    y_true, y_pred = _operands(y_true, y_pred)
    return -K.sum(K.l2_normalize(y_true, axis=axis) * K.l2_normalize(y_pred, axis=axis), axis=axis)


# -- hinge ---------------------------------------------------------------------

def _signed_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; labels already in another form are left alone."""
    is_binary = K.all(K.logical_or(K.equal(y_true, 0), K.equal(y_true, 1)))
    return K.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)), labels -1/1 (0/1 are converted)."""
    y_true, y_pred = _operands(y_true, y_pred)
    return K.mean(K.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _operands(y_true, y_pred)
    return K.mean(K.square(K.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(0, 1 + best wrong score - true score), y_true one-hot."""
    y_true, y_pred = _operands(y_true, y_pred)
    positive = K.sum(y_true * y_pred, axis=-1)
    negative = K.max((1.0 - y_true) * y_pred, axis=-1)
    return K.maximum(negative - positive + 1.0, 0.0)


# -- probabilistic -------------------------------------------------------------

def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over axis of the elementwise binary crossentropy; label_smoothing pulls the
    targets towards 0.5: y * (1 - s) + 0.5 * s."""
    _check_axis(axis, "binary_crossentropy")
    y_true, y_pred = _operands(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return K.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log p) over the class axis; label_smoothing spreads s of the mass
    evenly: y * (1 - s) + s / num_classes."""
    _check_axis(axis, "categorical_crossentropy")
    y_true, y_pred = _operands(y_true, y_pred)
    num_classes = K.int_shape(y_pred)[axis]
    if num_classes == 1:
        warnings.warn("categorical_crossentropy expects y_pred of shape (batch_size, num_classes) with "
                      f"num_classes > 1; got shape {K.int_shape(y_pred)}. With two classes, use "
                      "binary_crossentropy.", UserWarning, stacklevel=2)
    if label_smoothing:
        classes = K.cast(K.shape(y_true)[axis], K.dtype(y_pred))
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_labels(y_true, y_pred):
    """Labels of shape y_pred's without the class axis ((batch, 1) becomes (batch,))."""
    y_true = K.convert_to_tensor(y_true)
    if K.ndim(y_true) == K.ndim(y_pred) and K.int_shape(y_true)[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    return y_true


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """categorical_crossentropy with integer class labels (any int or float dtype).
    Entries labelled ignore_class get a loss of 0."""
    _check_axis(axis, "sparse_categorical_crossentropy")
    y_pred = K.convert_to_tensor(y_pred)
    if not dtypes.is_float(K.dtype(y_pred)):
        y_pred = K.cast(y_pred, K.floatx())
    y_true = sparse_labels(y_true, y_pred)
    if ignore_class is None:
        return K.sparse_categorical_crossentropy(K.cast(y_true, "int32"), y_pred, from_logits=from_logits, axis=axis)
    valid = K.not_equal(y_true, ignore_class)
    # ignored entries take class 0 so that the lookup stays in range, then their loss is zeroed
    labels = K.where(valid, K.cast(y_true, "int32"), K.zeros_like(K.cast(y_true, "int32")))
    losses = K.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    return K.where(valid, losses, K.zeros_like(losses))


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)), both clipped to [epsilon, 1]."""
    y_true, y_pred = _operands(y_true, y_pred)
    y_true = K.clip(y_true, K.epsilon(), 1.0)
    y_pred = K.clip(y_pred, K.epsilon(), 1.0)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon))."""
    y_true, y_pred = _operands(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


# Short names, as Keras has them (Keras 2's spellings included).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
huber_loss = huber
