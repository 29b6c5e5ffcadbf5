"""Math and shape ops of the TensorFlow engine.

TF never promotes mixed dtypes, so every op with several operands first
brings them to the dtype kbackend.dtypes.result_type gives (`promote`).
"""

import builtins
import functools

import numpy as np

from kbackend import config, dtypes, generic

from .core import cast, convert_to_tensor, dtype_name, shape, shape_tuple, tf, tf_dtype, translate_errors

# Python scalars are weakly typed: only their kind matters to result_type
_SCALAR_KIND = {builtins.bool: "<bool>", builtins.int: "<int>", builtins.float: "<float>",
                complex: "<complex>"}
_KIND_EXAMPLE = {"<bool>": True, "<int>": 0, "<float>": 0.0, "<complex>": 0j}


@functools.lru_cache(maxsize=None)
def _result_type(keys, floatx):  # floatx is part of the key: it decides int + float
    names = [_KIND_EXAMPLE[k] if isinstance(k, str) else dtype_name(k) for k in keys]
    return tf_dtype(dtypes.result_type(*names))


def promote(*values):
    """The values as tensors of the one dtype dtypes.result_type gives them."""
    keys, items = [], []
    for v in values:
        if isinstance(v, np.generic):  # numpy scalars are weak, as the Python scalar they hold
            v = v.item()
        kind = _SCALAR_KIND.get(type(v))
        if kind is None:
            v = convert_to_tensor(v)
            kind = v.dtype
        keys.append(kind)
        items.append(v)
    target = _result_type(tuple(keys), config.floatx())
    # tf.DTypes are interned, so `is` compares them
    return [v if isinstance(v, tf.Tensor) and v.dtype is target
            else tf.cast(v, target) if isinstance(v, tf.Tensor)
            # a Python scalar, exact in the target dtype (TF turns bools into no other dtype)
            else tf.constant(int(v) if type(v) is builtins.bool and target is not tf.bool else v, target)
            for v in items]


def as_float(x):
    """x as a tensor of its float dtype (integers and bool give floatx)."""
    x = convert_to_tensor(x)
    target = tf_dtype(dtypes.float_result(dtype_name(x.dtype)))
    return x if x.dtype == target else tf.cast(x, target)


def _axis(axis):
    return list(axis) if isinstance(axis, (tuple, list)) else axis


def _countable(x):
    """bool counts as int32 in sums and products."""
    x = convert_to_tensor(x)
    return tf.cast(x, tf.int32) if x.dtype == tf.bool else x


def _ordered(x):
    """bool compares as integers (TF orders no bools)."""
    return tf.cast(x, tf.int8) if x.dtype == tf.bool else x


# -- elementwise arithmetic ----------------------------------------------------

def add(x, y):
    x, y = promote(x, y)
    return tf.logical_or(x, y) if x.dtype == tf.bool else tf.add(x, y)


def subtract(x, y):
    x, y = promote(x, y)
    return tf.subtract(x, y)


def multiply(x, y):
    x, y = promote(x, y)
    return tf.logical_and(x, y) if x.dtype == tf.bool else tf.multiply(x, y)


def divide(x, y):
    x, y = promote(x, y)
    return tf.divide(as_float(x), as_float(y))


def floor_divide(x, y):
    x, y = promote(x, y)
    return tf.math.floordiv(x, y)


def mod(x, y):
    x, y = promote(x, y)
    return tf.math.floormod(x, y)


def negative(x):
    x = convert_to_tensor(x)
    return tf.subtract(tf.zeros_like(x), x) if x.dtype in _UNSIGNED else tf.negative(x)  # wraps around


_UNSIGNED = (tf.uint8, tf.uint16, tf.uint32)


def _widened(fn, x, y, lacking):
    """fn(x, y) computed in a wider signed integer type when TF has no kernel
    for x's dtype (one of `lacking`), converted back."""
    if x.dtype not in lacking:
        return fn(x, y)
    wide = tf.int64 if x.dtype == tf.uint32 else tf.int32
    return tf.cast(fn(tf.cast(x, wide), tf.cast(y, wide)), x.dtype)


def pow(x, a):
    x, a = promote(x, a)
    return _widened(tf.pow, x, a, _UNSIGNED)


def square(x):
    x = convert_to_tensor(x)
    return x if x.dtype == tf.bool else tf.square(x)  # numpy: x and x


def sqrt(x):
    return tf.sqrt(as_float(x))


def abs(x):
    x = convert_to_tensor(x)
    return x if x.dtype in _UNSIGNED or x.dtype == tf.bool else tf.abs(x)


def sign(x):
    x = convert_to_tensor(x)
    return tf.cast(x > 0, x.dtype) if x.dtype in _UNSIGNED else tf.sign(x)


def exp(x):
    return tf.exp(as_float(x))


def log(x):
    return tf.math.log(as_float(x))


def log1p(x):
    return tf.math.log1p(as_float(x))


def _whole(fn, x):
    x = convert_to_tensor(x)
    return fn(x) if x.dtype.is_floating else x  # integers are already whole


def round(x):
    return _whole(tf.round, x)  # tf.round rounds half to even, as numpy


def floor(x):
    return _whole(tf.floor, x)


def ceil(x):
    return _whole(tf.math.ceil, x)


def sin(x):
    return tf.sin(as_float(x))


def cos(x):
    return tf.cos(as_float(x))


def tanh(x):
    return tf.tanh(as_float(x))


def erf(x):
    return tf.math.erf(as_float(x))


def clip(x, min_value, max_value):
    bounds = [b for b in (min_value, max_value) if b is not None]
    x, *bounds = promote(x, *bounds)
    if min_value is not None:
        x = tf.maximum(x, bounds.pop(0))
    if max_value is not None:
        x = tf.minimum(x, bounds.pop(0))
    return x


def maximum(x, y):
    x, y = promote(x, y)
    return tf.logical_or(x, y) if x.dtype == tf.bool else tf.maximum(x, y)


def minimum(x, y):
    x, y = promote(x, y)
    return tf.logical_and(x, y) if x.dtype == tf.bool else tf.minimum(x, y)


# -- comparisons and logic ------------------------------------------------------

def _ordered_pair(x, y):
    x, y = promote(x, y)
    return _ordered(x), _ordered(y)


def equal(x, y):
    return tf.equal(*promote(x, y))


def not_equal(x, y):
    return tf.not_equal(*promote(x, y))


def greater(x, y):
    return tf.greater(*_ordered_pair(x, y))


def greater_equal(x, y):
    return tf.greater_equal(*_ordered_pair(x, y))


def less(x, y):
    return tf.less(*_ordered_pair(x, y))


def less_equal(x, y):
    return tf.less_equal(*_ordered_pair(x, y))


def logical_and(x, y):
    return tf.logical_and(cast(x, "bool"), cast(y, "bool"))


def logical_or(x, y):
    return tf.logical_or(cast(x, "bool"), cast(y, "bool"))


def logical_not(x):
    return tf.logical_not(cast(x, "bool"))


def where(condition, x=None, y=None):
    condition = cast(condition, "bool")
    if x is None and y is None:
        found = tf.where(condition)  # (count, ndim) int64
        return tuple(tf.unstack(found, num=condition.shape.rank, axis=1))
    if x is None or y is None:
        raise ValueError("where needs both x and y, or neither.")
    x, y = promote(x, y)
    return tf.where(condition, x, y)


def switch(condition, then_expression, else_expression):
    import kbackend_tf as ops
    return generic.switch(ops, condition, then_expression, else_expression)


# -- reductions -----------------------------------------------------------------

def sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(_countable(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return tf.reduce_prod(_countable(x), axis=_axis(axis), keepdims=keepdims)


def _accumulated(fn, x, axis, keepdims):
    """A float reduction computed in float32 for half precision inputs (their
    sums overflow or lose precision), returned in the input's float dtype."""
    x = as_float(x)
    wide = tf.float32 if x.dtype in (tf.float16, tf.bfloat16) else x.dtype
    return tf.cast(fn(tf.cast(x, wide), axis=_axis(axis), keepdims=keepdims), x.dtype)


def mean(x, axis=None, keepdims=False):
    return _accumulated(tf.reduce_mean, x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _accumulated(tf.math.reduce_variance, x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    return _accumulated(tf.math.reduce_std, x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    reduce = tf.reduce_any if x.dtype == tf.bool else tf.reduce_max  # TF splits ties evenly
    return reduce(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    reduce = tf.reduce_all if x.dtype == tf.bool else tf.reduce_min
    return reduce(x, axis=_axis(axis), keepdims=keepdims)


def _arg(fn, x, axis):
    x = _ordered(convert_to_tensor(x))
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return fn(x, axis=axis, output_type=tf.int64)


def argmax(x, axis=-1):
    return _arg(tf.argmax, x, axis)


def argmin(x, axis=-1):
    return _arg(tf.argmin, x, axis)


def any(x, axis=None, keepdims=False):
    return tf.reduce_any(cast(x, "bool"), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return tf.reduce_all(cast(x, "bool"), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=0):
    return tf.cumsum(_countable(x), axis=axis)


def cumprod(x, axis=0):
    return tf.math.cumprod(_countable(x), axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(as_float(x), axis=_axis(axis), keepdims=keepdims)


def l2_normalize(x, axis=None):
    x = as_float(x)
    squares = tf.reduce_sum(tf.square(x), axis=_axis(axis), keepdims=True)
    return x / tf.sqrt(tf.maximum(squares, convert_to_tensor(1e-12, x.dtype)))


# -- products -------------------------------------------------------------------

def dot(x, y):
    import kbackend_tf as ops
    return generic.dot(ops, x, y)


def matmul(x, y):
    x, y = promote(x, y)
    if x.shape.rank == 0 or y.shape.rank == 0:
        raise ValueError("matmul needs tensors of rank >= 1; use multiply for scalars.")
    vector_x, vector_y = x.shape.rank == 1, y.shape.rank == 1
    out = _widened(tf.linalg.matmul, x[None] if vector_x else x, y[:, None] if vector_y else y,
                   (tf.bool, tf.int8, tf.int16) + _UNSIGNED)
    if vector_y:
        out = tf.squeeze(out, -1)
    if vector_x:
        out = tf.squeeze(out, -1 if vector_y else -2)
    return out


def batch_dot(x, y, axes=None):
    import kbackend_tf as ops
    return generic.batch_dot(ops, x, y, axes)


def einsum(subscripts, *operands):
    return tf.einsum(subscripts, *promote(*operands))


# -- shapes -------------------------------------------------------------------

def transpose(x, axes=None):
    return tf.transpose(convert_to_tensor(x), perm=axes)


def permute_dimensions(x, pattern):
    return tf.transpose(convert_to_tensor(x), perm=list(pattern))


def reshape(x, shape):
    return tf.reshape(convert_to_tensor(x), shape_tuple(shape))


def flatten(x):
    return tf.reshape(convert_to_tensor(x), [-1])


def batch_flatten(x):
    x = convert_to_tensor(x)
    return tf.reshape(x, (shape(x)[0], -1))


def expand_dims(x, axis=-1):
    return tf.expand_dims(convert_to_tensor(x), axis)


def squeeze(x, axis=None):
    return tf.squeeze(convert_to_tensor(x), axis=_axis(axis))


def concatenate(tensors, axis=-1):
    if not tensors:
        raise ValueError("concatenate needs at least one tensor.")
    return tf.concat(promote(*tensors), axis=axis)


def stack(x, axis=0):
    if not x:
        raise ValueError("stack needs at least one tensor.")
    return tf.stack(promote(*x), axis=axis)


def tile(x, n):
    x = convert_to_tensor(x)
    reps = [n] if isinstance(n, (builtins.int, np.integer)) or tf.is_tensor(n) and n.shape.rank == 0 else list(n)
    rank = x.shape.rank
    if len(reps) < rank:  # numpy.tile: missing repetitions are 1, on the leading axes
        reps = [1] * (rank - len(reps)) + reps
    elif len(reps) > rank:
        x = tf.reshape(x, (1,) * (len(reps) - rank) + shape(x))
    return tf.tile(x, reps)


def repeat(x, n):
    x = convert_to_tensor(x)
    if x.shape.rank != 2:
        raise ValueError(f"repeat needs a 2-D tensor (batch, dim); got rank {x.shape.rank}.")
    return tf.tile(x[:, None, :], [1, n, 1])


def repeat_elements(x, rep, axis):
    return tf.repeat(convert_to_tensor(x), rep, axis=axis)


def gather(reference, indices):
    reference, indices = convert_to_tensor(reference), convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"gather needs integer indices; got {dtype_name(indices.dtype)}.")
    # negative indices count from the end, as in numpy
    size = tf.cast(tf.shape(reference)[0], indices.dtype)
    return tf.gather(reference, tf.where(indices < 0, indices + size, indices))


def slice(x, start, size):
    return tf.slice(convert_to_tensor(x), start, size)


def one_hot(indices, num_classes):
    return tf.one_hot(cast(indices, "int32"), num_classes, dtype=tf_dtype(config.floatx()))


def top_k(x, k, sorted=True):
    values, indices = tf.math.top_k(convert_to_tensor(x), k, sorted=sorted)
    return values, indices


def in_top_k(predictions, targets, k):
    predictions, targets = convert_to_tensor(predictions), cast(targets, "int32")
    if targets.shape.rank == 2:
        targets = tf.squeeze(targets, -1)
    target_values = tf.gather(predictions, targets, batch_dims=1)
    # strictly larger entries push the target out; ties with it do not
    larger = tf.reduce_sum(tf.cast(predictions > target_values[:, None], tf.int32), axis=-1)
    return larger < k


def sort(x, axis=-1):
    x = convert_to_tensor(x)
    return tf.cast(tf.sort(_ordered(x), axis=axis), x.dtype)


_PAD_MODES = {"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(f"pad mode must be one of {', '.join(_PAD_MODES)}; got {mode!r}.")
    x = convert_to_tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.shape.rank, 2))
    if (widths < 0).any():
        raise ValueError(f"pad widths must be >= 0; got {pad_width}.")
    return tf.pad(x, widths, _PAD_MODES[mode], constant_values=cast(constant_values, dtype_name(x.dtype)))


translate_errors(globals(), "math")
