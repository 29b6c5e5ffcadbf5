"""Math and shape ops of the JAX engine.

Binary ops promote with kbackend.dtypes (core.promote) instead of jax's own
rules; shape errors that jax raises as TypeError become ValueError.
"""

import builtins

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kbackend import config, dtypes, generic

from .core import cast, convert_to_tensor, dtype_name, jnp_dtype, promote, result_type, shape_errors


def _ops():
    import kbackend_jax
    return kbackend_jax


def _t(x):
    return convert_to_tensor(x)


def _float(x):
    """x cast to the dtype of a float-valued op (integers and bool -> floatx)."""
    x = _t(x)
    return cast(x, dtypes.float_result(dtype_name(x.dtype)))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _accumulating(x):
    """x with bool turned into int32: sums and products keep other dtypes."""
    x = _t(x)
    return cast(x, "int32") if x.dtype == jnp.bool_ else x


# -- elementwise binary --------------------------------------------------------

def _binary(fn):
    @shape_errors
    def op(x, y):
        return fn(*promote(x, y))
    op.__name__ = fn.__name__
    return op


def _keeping(fn):
    """fn with its result in the promoted dtype (jax turns bool operands into int32)."""
    def op(x, y):
        return fn(x, y).astype(x.dtype)
    op.__name__ = fn.__name__
    return op


add = _binary(jnp.add)
subtract = _binary(jnp.subtract)
multiply = _binary(jnp.multiply)
floor_divide = _binary(_keeping(jnp.floor_divide))
mod = _binary(_keeping(jnp.mod))
maximum = _binary(jnp.maximum)
minimum = _binary(jnp.minimum)
equal = _binary(jnp.equal)
not_equal = _binary(jnp.not_equal)
greater = _binary(jnp.greater)
greater_equal = _binary(jnp.greater_equal)
less = _binary(jnp.less)
less_equal = _binary(jnp.less_equal)


@shape_errors
def divide(x, y):
    x, y = promote(x, y)
    common = dtypes.float_result(dtype_name(x.dtype))
    return jnp.true_divide(cast(x, common), cast(y, common))


@shape_errors
def pow(x, a):
    if isinstance(a, builtins.int) and not isinstance(a, builtins.bool):
        # integer powers stay exact (and differentiable) for negative bases
        x = cast(x, result_type(_t(x), a))
        return lax.integer_pow(x, a) if a >= 0 or not dtypes.is_int(dtype_name(x.dtype)) else jnp.power(x, a)
    return jnp.power(*promote(x, a))


def _logical(fn):
    @shape_errors
    def op(x, y):
        return fn(cast(x, "bool"), cast(y, "bool"))
    op.__name__ = fn.__name__
    return op


logical_and = _logical(jnp.logical_and)
logical_or = _logical(jnp.logical_or)


def logical_not(x):
    return jnp.logical_not(cast(x, "bool"))


# -- elementwise unary -----------------------------------------------------------

def negative(x):
    return jnp.negative(_t(x))


def square(x):
    return jnp.square(_t(x))


def abs(x):
    return jnp.abs(_t(x))


def sign(x):
    return jnp.sign(_t(x))


def round(x):
    x = _t(x)
    return jnp.round(x) if jnp.issubdtype(x.dtype, jnp.inexact) else x


def _float_unary(fn):
    def op(x):
        return fn(_float(x))
    op.__name__ = fn.__name__
    return op


sqrt = _float_unary(jnp.sqrt)
exp = _float_unary(jnp.exp)
log = _float_unary(jnp.log)
log1p = _float_unary(jnp.log1p)
floor = _float_unary(jnp.floor)
ceil = _float_unary(jnp.ceil)
sin = _float_unary(jnp.sin)
cos = _float_unary(jnp.cos)
tanh = _float_unary(jnp.tanh)
erf = _float_unary(jax.scipy.special.erf)


def clip(x, min_value, max_value):
    # a bound of None leaves that side open (and the dtype alone)
    out = _t(x)
    if min_value is not None:
        out = maximum(out, min_value)
    if max_value is not None:
        out = minimum(out, max_value)
    return out


@shape_errors
def where(condition, x=None, y=None):
    condition = cast(condition, "bool")
    if x is None and y is None:
        return tuple(i.astype(jnp.int64) for i in jnp.nonzero(condition))
    if x is None or y is None:
        raise ValueError("where needs both x and y, or neither.")
    x, y = promote(x, y)
    return jnp.where(condition, x, y)


def switch(condition, then_expression, else_expression):
    return generic.switch(_ops(), condition, then_expression, else_expression)


# -- reductions ------------------------------------------------------------------

def sum(x, axis=None, keepdims=False):
    x = _accumulating(x)
    return jnp.sum(x, axis=_axis(axis), keepdims=keepdims, dtype=x.dtype)


def prod(x, axis=None, keepdims=False):
    x = _accumulating(x)
    return jnp.prod(x, axis=_axis(axis), keepdims=keepdims, dtype=x.dtype)


def mean(x, axis=None, keepdims=False):
    return jnp.mean(_float(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return jnp.var(_float(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return jnp.std(_float(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    # jax's max/min gradients share the cotangent evenly among ties
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=-1):
    return jnp.argmax(_t(x), axis=axis).astype(jnp.int64)


def argmin(x, axis=-1):
    return jnp.argmin(_t(x), axis=axis).astype(jnp.int64)


def any(x, axis=None, keepdims=False):
    return jnp.any(_t(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return jnp.all(_t(x), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=0):
    x = _accumulating(x)
    return jnp.cumsum(x, axis=axis, dtype=x.dtype)


def cumprod(x, axis=0):
    x = _accumulating(x)
    return jnp.cumprod(x, axis=axis, dtype=x.dtype)


def logsumexp(x, axis=None, keepdims=False):
    x = _float(x)
    axis = _axis(axis)
    # shift by the (constant) maximum so exp cannot overflow; all -inf stays -inf
    peak = lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True))
    peak = jnp.where(jnp.isfinite(peak), peak, jnp.zeros_like(peak))
    out = jnp.log(jnp.sum(jnp.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else jnp.squeeze(out, axis)


def l2_normalize(x, axis=None):
    x = _float(x)
    squares = jnp.sum(jnp.square(x), axis=_axis(axis), keepdims=True)
    return x * lax.rsqrt(jnp.maximum(squares, jnp.asarray(1e-12, x.dtype)))


# -- contractions ------------------------------------------------------------------

def dot(x, y):
    return generic.dot(_ops(), x, y)


@shape_errors
def matmul(x, y):
    x, y = promote(x, y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul needs tensors of rank >= 1; got shapes {x.shape} and {y.shape}.")
    return jnp.matmul(x, y)


def batch_dot(x, y, axes=None):
    return generic.batch_dot(_ops(), x, y, axes)


@shape_errors
def einsum(subscripts, *operands):
    return jnp.einsum(subscripts, *promote(*operands))


# -- shapes ----------------------------------------------------------------------------

def transpose(x, axes=None):
    x = _t(x)
    if axes is not None and sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes.")
    return jnp.transpose(x, None if axes is None else tuple(axes))


def permute_dimensions(x, pattern):
    return transpose(x, pattern)


@shape_errors
def reshape(x, shape):
    shape = (shape,) if isinstance(shape, builtins.int) else tuple(builtins.int(d) for d in shape)
    return jnp.reshape(_t(x), shape)


def flatten(x):
    return jnp.reshape(_t(x), (-1,))


def batch_flatten(x):
    x = _t(x)
    return jnp.reshape(x, (x.shape[0], -1))


def expand_dims(x, axis=-1):
    return jnp.expand_dims(_t(x), axis)


def squeeze(x, axis=None):
    return jnp.squeeze(_t(x), _axis(axis))


@shape_errors
def concatenate(tensors, axis=-1):
    if not tensors:
        raise ValueError("concatenate needs at least one tensor.")
    return jnp.concatenate(promote(*tensors), axis=axis)


@shape_errors
def stack(x, axis=0):
    if not x:
        raise ValueError("stack needs at least one tensor.")
    return jnp.stack(promote(*x), axis=axis)


def tile(x, n):
    n = (n,) if isinstance(n, builtins.int) else tuple(builtins.int(r) for r in n)
    return jnp.tile(_t(x), n)


def repeat(x, n):
    x = _t(x)
    if x.ndim != 2:
        raise ValueError(f"repeat needs a 2-D tensor (batch, dim); got shape {x.shape}.")
    return jnp.broadcast_to(x[:, None, :], (x.shape[0], n, x.shape[1]))


def repeat_elements(x, rep, axis):
    return jnp.repeat(_t(x), rep, axis=axis)


def gather(reference, indices):
    indices = _t(indices)
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        raise TypeError(f"gather needs integer indices; got {dtype_name(indices.dtype)}.")
    return jnp.take(_t(reference), indices, axis=0)


def slice(x, start, size):
    x = _t(x)
    if builtins.all(isinstance(s, (builtins.int, np.integer)) for s in start):
        return x[tuple(builtins.slice(s, None if n == -1 else s + n) for s, n in zip(start, size))]
    # traced starts: the sizes must be static
    if builtins.any(n == -1 for n in size):
        raise ValueError("slice with traced start indices needs explicit sizes (no -1).")
    return lax.dynamic_slice(x, [cast(s, "int32") for s in start], tuple(size))


def one_hot(indices, num_classes):
    return jax.nn.one_hot(_t(indices), num_classes, dtype=jnp_dtype(config.floatx()))


def top_k(x, k, sorted=True):
    # lax.top_k always sorts, which is allowed when sorted=False
    values, indices = lax.top_k(_t(x), k)
    return values, indices.astype(jnp.int32)


def in_top_k(predictions, targets, k):
    predictions = _t(predictions)
    targets = cast(targets, "int32")
    target_values = jnp.take_along_axis(predictions, targets[:, None], axis=-1)
    # ties with the k-th value count as in: fewer than k entries strictly above
    above = jnp.sum(predictions > target_values, axis=-1)
    return above < k


def sort(x, axis=-1):
    return jnp.sort(_t(x), axis=axis)


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"pad mode must be 'constant', 'reflect' or 'symmetric'; got {mode!r}.")
    x = _t(x)
    if mode == "constant":
        return jnp.pad(x, pad_width, mode="constant", constant_values=cast(constant_values, dtype_name(x.dtype)))
    return jnp.pad(x, pad_width, mode=mode)
