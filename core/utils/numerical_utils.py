"""Array helpers on host numpy data: one-hot labels and Lp-normalization."""

import numpy as np


def to_categorical(y, num_classes=None):
    """One-hot encode integer class labels.

    `y` holds ints in [0, num_classes); a trailing axis of size 1 (labels shaped
    (N, 1)) is dropped first, as Keras does, so (N, 1) gives (N, num_classes).
    `num_classes=None` uses max(y) + 1. Returns float32 with the extra last axis.
    """
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError("to_categorical needs integer class labels; got non-integer floats in `y`.")
    elif y.dtype.kind not in "iub":
        raise TypeError(f"to_categorical needs integer class labels; got dtype {y.dtype}. "
                        "Map string labels to ints first (e.g. with np.unique(y, return_inverse=True)).")
    y = y.astype("int64")
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    num_classes = int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in [0, {num_classes}); got values in "
                         f"[{y.min()}, {y.max()}]. Pass a larger num_classes or fix the labels.")
    out = np.zeros((y.size, num_classes), dtype="float32")
    out[np.arange(y.size), y] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale `x` to unit Lp norm along `axis` (order 2 = Euclidean). Zero
    vectors stay zero instead of becoming NaN. Numpy in, numpy out; an engine
    tensor goes through kbackend and comes back as that engine's tensor."""
    if isinstance(x, np.ndarray) or np.isscalar(x) or isinstance(x, (list, tuple)):
        x = np.asarray(x)
        if x.dtype.kind not in "fc":
            x = x.astype("float32")
        norm = np.atleast_1d(np.linalg.norm(x, ord=order, axis=axis))
        norm[norm == 0] = 1
        return x / np.expand_dims(norm, axis)
    import kbackend as K

    if order != 2:
        raise ValueError(f"normalize of an engine tensor supports order=2 only; got order={order}. "
                         "Convert to numpy first for other orders.")
    return K.l2_normalize(x, axis=axis)
