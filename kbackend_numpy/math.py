"""Math and shape ops of the numpy engine, each with its vector-Jacobian product.

The public ops convert their arguments (core.convert_to_tensor) and promote
them with kbackend.dtypes.result_type (cached per dtype combination); the
`@differentiable` kernels named `_op` compute on raw ndarrays and return
(out, backward). Ops without a gradient (comparisons, rounding, argmax, ...)
work on the raw values and return plain ndarrays, which the tape treats as
constants.
"""

import builtins
import functools
import math as pymath

import numpy as np

from kbackend import config, dtypes, generic

from . import autodiff, core
from .autodiff import Box, differentiable, kernel, raw

try:
    from scipy.special import erf as _scipy_erf
except ImportError:
    _scipy_erf = None

# Python scalars are weakly typed (numpy scalars too, see kbackend.dtypes):
# a representative value of each kind
_WEAK = {builtins.bool: True, builtins.int: 1, builtins.float: 1.0, builtins.complex: 1j}
_WEAK.update({np.dtype(d).type: _WEAK[builtins.float] for d in ("float16", "float32", "float64")})
_WEAK.update({np.dtype(d).type: 1 for d in dtypes.SIGNED + dtypes.UNSIGNED})
_WEAK.update({np.bool_: True, np.complex64: 1j, np.complex128: 1j})
_INEXACT = {core.np_dtype(d) for d in dtypes.FLOATS + dtypes.COMPLEX if d in core.AVAILABLE}
# computed in float32 where numpy is slow
_HALF = {core.np_dtype(d) for d in ("float16", "bfloat16") if d in core.AVAILABLE}
_F32 = np.dtype("float32")
_PROMOTED = {}
# (tensor dtype, weak scalar type) pairs where the tensor's dtype wins whatever floatx is
_KEEPS = {(core.np_dtype(d), t) for d in core.AVAILABLE for t, v in _WEAK.items() if dtypes.result_type(d, v) == d}


def _arr(out):
    """numpy returns scalars for 0-d results; the engine's tensor is an ndarray."""
    return out if type(out) is np.ndarray else np.asarray(out)


def _tensor(x):
    t = type(x)
    return x if t is np.ndarray or t is Box else core.convert_to_tensor(x)


def _kind(x):
    """(x as a tensor or weak scalar, its promotion key)."""
    t = type(x)
    if t in _WEAK:
        return x, t
    if t is not np.ndarray and t is not Box:
        x = core.convert_to_tensor(x)
    return x, x.dtype


def _common(keys):
    key = keys + (config.floatx(),) if builtins.any(k in _WEAK for k in keys) else keys
    dt = _PROMOTED.get(key)
    if dt is None:
        args = [_WEAK[k] if k in _WEAK else k.name for k in keys]
        dt = _PROMOTED[key] = core.np_dtype(dtypes.result_type(*args))
    return dt


def _as(x, dt):
    """x (tensor or weak scalar) with numpy dtype dt; Boxes cast differentiably."""
    t = type(x)
    if t in _WEAK:
        return np.asarray(x, dt)
    if x.dtype == dt:
        return x
    if t is np.ndarray:
        return x.astype(dt)
    return core.cast(x, dt)


def _pair(x, y):
    """x and y as tensors of their promoted dtype."""
    tx, ty = type(x), type(y)
    if tx is np.ndarray or tx is Box:  # fast paths: equal dtypes, tensor with a weak scalar
        if (ty is np.ndarray or ty is Box) and x.dtype == y.dtype:
            return x, y
        if ty in _WEAK and (x.dtype, ty) in _KEEPS:
            return x, np.asarray(y, x.dtype)
    elif tx in _WEAK and (ty is np.ndarray or ty is Box) and (y.dtype, tx) in _KEEPS:
        return np.asarray(x, y.dtype), y
    x, kx = _kind(x)
    y, ky = _kind(y)
    dt = _common((kx, ky))
    return _as(x, dt), _as(y, dt)


def _promote_all(values):
    """(values as tensors of their promoted dtype, that dtype)."""
    first = values[0]
    if type(first) is np.ndarray or type(first) is Box:
        dt = first.dtype
        if builtins.all((type(v) is np.ndarray or type(v) is Box) and v.dtype == dt for v in values):
            return list(values), dt
    pairs = [_kind(v) for v in values]
    dt = _common(tuple(k for _, k in pairs))
    return [_as(v, dt) for v, _ in pairs], dt


def _floating(x):
    """x as a float (or complex) tensor: bool and integers become floatx."""
    x = _tensor(x)
    if x.dtype in _INEXACT:
        return x
    return _as(x, core.np_dtype(config.floatx()))


def _unbroadcast(g, shape):
    """Sum g over the axes that broadcasting added or stretched, back to shape."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and g.shape[lead + i] != 1)
    return np.sum(g, axis=axes).reshape(shape)


@functools.lru_cache(maxsize=None)
def _axes_cached(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}.")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"Repeated axis in {axis}.")
    return tuple(sorted(out))


def _axes(axis, ndim):
    """axis (None, int or sequence) as a sorted tuple of non-negative axes."""
    if axis is not None and type(axis) is not int:
        axis = _ints(axis)
    return _axes_cached(axis, ndim)


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _ints(values):
    """A shape-like argument (int, sequence, tensor) as a tuple of ints."""
    values = raw(values)
    if isinstance(values, (int, np.integer)):
        return (int(values),)
    if isinstance(values, np.ndarray):
        return tuple(int(v) for v in values.reshape(-1))
    return tuple(int(raw(v)) for v in values)


# ---------------------------------------------------------------------------
# elementwise binary arithmetic
# ---------------------------------------------------------------------------

@differentiable
def _add(x, y):
    return _arr(x + y), lambda g: (_unbroadcast(g, x.shape), _unbroadcast(g, y.shape))


@differentiable
def _subtract(x, y):
    return _arr(x - y), lambda g: (_unbroadcast(g, x.shape), _unbroadcast(-g, y.shape))


@differentiable
def _multiply(x, y):
    return _arr(x * y), lambda g: (_unbroadcast(g * y, x.shape), _unbroadcast(g * x, y.shape))


@differentiable
def _divide(x, y):
    out = _arr(x / y)
    return out, lambda g: (_unbroadcast(g / y, x.shape), _unbroadcast(-g * out / y, y.shape))


@differentiable
def _mod(x, y):
    out = _arr(np.mod(x, y))
    return out, lambda g: (_unbroadcast(g, x.shape), _unbroadcast(-g * np.floor_divide(x, y), y.shape))


@differentiable
def _pow(x, a):
    out = _arr(np.power(x, a))

    def backward(g):
        dx = g * a * np.power(x, a - 1)
        positive = x > 0
        da = g * out * np.log(np.where(positive, x, 1)) * positive
        return _unbroadcast(dx, x.shape), _unbroadcast(da, a.shape)
    return out, backward


@differentiable
def _pow_constant(x, a):
    """x ** a for an exponent that is not traced (no log(x) needed)."""
    out = _arr(np.power(x, a))
    return out, lambda g: (_unbroadcast(g * a * np.power(x, a - 1), x.shape),)


@differentiable
def _maximum(x, y):
    def backward(g):
        take_x = x >= y
        return _unbroadcast(np.where(take_x, g, 0), x.shape), _unbroadcast(np.where(take_x, 0, g), y.shape)
    return _arr(np.maximum(x, y)), backward


@differentiable
def _minimum(x, y):
    def backward(g):
        take_x = x <= y
        return _unbroadcast(np.where(take_x, g, 0), x.shape), _unbroadcast(np.where(take_x, 0, g), y.shape)
    return _arr(np.minimum(x, y)), backward


def add(x, y):
    return _add(*_pair(x, y))


def subtract(x, y):
    return _subtract(*_pair(x, y))


def multiply(x, y):
    return _multiply(*_pair(x, y))


def divide(x, y):
    x, y = _pair(x, y)
    if x.dtype not in _INEXACT:
        x, y = _floating(x), _floating(y)
    return _divide(x, y)


@kernel
def floor_divide(x, y):
    x, y = _pair(x, y)
    return _arr(np.floor_divide(raw(x), raw(y))).astype(x.dtype, copy=False)  # bool stays bool


def mod(x, y):
    x, y = _pair(x, y)
    if x.dtype not in _INEXACT:
        return _integer_mod(x, y)
    return _mod(x, y)


@kernel
def _integer_mod(x, y):
    return _arr(np.mod(raw(x), raw(y))).astype(x.dtype, copy=False)


def pow(x, a):
    x, a = _pair(x, a)
    if type(a) is Box:
        return _pow(x, a)
    return _pow_constant(x, a=a)


def maximum(x, y):
    return _maximum(*_pair(x, y))


def minimum(x, y):
    return _minimum(*_pair(x, y))


# ---------------------------------------------------------------------------
# elementwise unary
# ---------------------------------------------------------------------------

def _elementwise(fn, derivative):
    """A differentiable out = fn(x) with dx = g * derivative(x, out)."""
    @differentiable
    def kernel(x):
        out = _arr(fn(x))
        return out, lambda g: (g * derivative(x, out),)
    return kernel


def _erf_fallback(x):
    """erf from its Taylor series (|x| < 4, float64) and +-1 beyond, where
    1 - |erf| < 2e-8."""
    z = np.asarray(x, np.float64)
    inside = np.abs(z) < 4.0
    t = np.where(inside, z, 0.0)
    term, total, t2 = t.copy(), t.copy(), t * t
    for n in range(1, 90):  # terms 16**n / n! fall below 1e-17 relative by n = 90
        term = term * (-t2) / n
        total = total + term / (2 * n + 1)
    return np.where(inside, total * (2.0 / np.sqrt(np.pi)), np.sign(z))


def _erf_values(x):
    if _scipy_erf is None:
        values = _erf_fallback(x)
    else:  # scipy has no half-precision loop
        values = _scipy_erf(x.astype(_F32) if x.dtype in _HALF else x)
    return np.asarray(values).astype(x.dtype, copy=False)


_TWO_OVER_SQRT_PI = 2.0 / pymath.sqrt(pymath.pi)
_negative = _elementwise(np.negative, lambda x, out: -1)
_square = _elementwise(np.square, lambda x, out: 2 * x)
_sqrt = _elementwise(np.sqrt, lambda x, out: 0.5 / out)
_abs = _elementwise(np.abs, lambda x, out: np.sign(x))
_exp = _elementwise(np.exp, lambda x, out: out)
_log = _elementwise(np.log, lambda x, out: 1 / x)
_log1p = _elementwise(np.log1p, lambda x, out: 1 / (1 + x))
_sin = _elementwise(np.sin, lambda x, out: np.cos(x))
_cos = _elementwise(np.cos, lambda x, out: -np.sin(x))
_tanh = _elementwise(np.tanh, lambda x, out: 1 - out * out)
_erf = _elementwise(_erf_values, lambda x, out: _TWO_OVER_SQRT_PI * np.exp(-x * x))


def negative(x):
    return _negative(_tensor(x))


def square(x):
    return _square(_tensor(x))


def sqrt(x):
    return _sqrt(_floating(x))


def abs(x):
    x = _tensor(x)
    if x.dtype.kind in "bu":
        return x
    return _abs(x)


@kernel
def sign(x):
    return _arr(np.sign(raw(_tensor(x))))


def exp(x):
    return _exp(_floating(x))


def log(x):
    return _log(_floating(x))


def log1p(x):
    return _log1p(_floating(x))


def sin(x):
    return _sin(_floating(x))


def cos(x):
    return _cos(_floating(x))


def tanh(x):
    return _tanh(_floating(x))


def erf(x):
    return _erf(_floating(x))


@kernel
def round(x):
    x = raw(_tensor(x))
    return x if x.dtype.kind in "biu" else _arr(np.round(x))


@kernel
def floor(x):
    return _arr(np.floor(raw(_floating(x))))


@kernel
def ceil(x):
    return _arr(np.ceil(raw(_floating(x))))


@differentiable
def _clip(x, lo, hi):
    hi = np.maximum(hi, lo)  # Keras 2: a max below the min is raised to the min
    out = _arr(np.minimum(np.maximum(x, lo), hi))

    def backward(g):
        below, above = x < lo, x > hi
        inside = ~(below | above)
        return (np.where(inside, g, 0), _unbroadcast(np.where(below, g, 0), lo.shape),
                _unbroadcast(np.where(above, g, 0), hi.shape))
    return out, backward


def _dtype_limit(dt, upper):
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.max if upper else info.min
    return np.inf if upper else -np.inf


def clip(x, min_value, max_value):
    x = _tensor(x)
    dt = x.dtype
    if (dt, type(min_value)) in _KEEPS and (dt, type(max_value)) in _KEEPS:  # the usual Python bounds
        lo, hi = np.asarray(min_value, dt), np.asarray(max_value, dt)
    else:
        (x, lo, hi), dt = _promote_all([x, 0 if min_value is None else min_value,
                                        0 if max_value is None else max_value])
        if min_value is None:
            lo = np.asarray(_dtype_limit(dt, False), dt)
        if max_value is None:
            hi = np.asarray(_dtype_limit(dt, True), dt)
    if (lo.ndim or hi.ndim) and x.shape != np.broadcast_shapes(x.shape, lo.shape, hi.shape):
        raise ValueError(f"clip: the bounds (shapes {lo.shape}, {hi.shape}) must broadcast to x's shape {x.shape}.")
    return _clip(x, lo, hi)


# ---------------------------------------------------------------------------
# comparisons and logic (no gradient)
# ---------------------------------------------------------------------------

def _comparison(ufunc, name):
    def op(x, y):
        x, y = _pair(x, y)
        return _arr(ufunc(raw(x), raw(y)))
    op.__name__ = name
    return kernel(op)


equal = _comparison(np.equal, "equal")
not_equal = _comparison(np.not_equal, "not_equal")
greater = _comparison(np.greater, "greater")
greater_equal = _comparison(np.greater_equal, "greater_equal")
less = _comparison(np.less, "less")
less_equal = _comparison(np.less_equal, "less_equal")


@kernel
def logical_and(x, y):
    return _arr(np.logical_and(raw(_tensor(x)), raw(_tensor(y))))


@kernel
def logical_or(x, y):
    return _arr(np.logical_or(raw(_tensor(x)), raw(_tensor(y))))


@kernel
def logical_not(x):
    return _arr(np.logical_not(raw(_tensor(x))))


@differentiable
def _where(x, y, condition):
    def backward(g):
        return (_unbroadcast(np.where(condition, g, 0), x.shape),
                _unbroadcast(np.where(condition, 0, g), y.shape))
    return _arr(np.where(condition, x, y)), backward


def where(condition, x=None, y=None):
    condition = raw(_tensor(condition))
    if x is None and y is None:
        return tuple(i.astype(np.int64) for i in np.nonzero(condition))
    if x is None or y is None:
        raise ValueError("where needs both x and y, or neither.")
    x, y = _pair(x, y)
    return _where(x, y, condition=condition.astype(bool, copy=False))


def switch(condition, then_expression, else_expression):
    import kbackend_numpy as ops
    return generic.switch(ops, condition, then_expression, else_expression)


# ---------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------

def _expand_to(g, x_shape, axes, keepdims):
    """g of a reduction over axes, broadcast back to the input's shape."""
    if not keepdims:
        g = g.reshape(_kept_shape(x_shape, axes))
    return np.broadcast_to(g, x_shape)


@differentiable
def _sum(x, axes, keepdims, dtype):
    # half precision accumulates in float32 for accuracy
    acc = _F32 if dtype in _HALF else dtype
    out = _arr(np.add.reduce(x, axis=axes, dtype=acc, keepdims=keepdims)).astype(dtype, copy=False)
    return out, lambda g: (_expand_to(g, x.shape, axes, keepdims),)


def sum(x, axis=None, keepdims=False):
    x = _tensor(x)
    dtype = x.dtype
    if dtype.kind == "b":
        dtype = np.dtype(np.int32)
    return _sum(x, axes=_axes(axis, x.ndim), keepdims=keepdims, dtype=dtype)


def _exclusive_products(x):
    """The product of all other elements along the last axis (no division,
    so exact with zeros): products from the left times those from the right."""
    ones = np.ones_like(x[..., :1])
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


@differentiable
def _prod(x, axes, keepdims, dtype):
    out = _arr(np.multiply.reduce(x, axis=axes, dtype=dtype, keepdims=keepdims))

    def backward(g):
        g = _expand_to(g, x.shape, axes, keepdims)
        if x.size == 0:
            return (np.zeros_like(x),)
        # the reduced axes moved to the end and merged into one
        rest = [i for i in range(x.ndim) if i not in axes]
        moved = np.transpose(x, rest + list(axes))
        flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
        others = _exclusive_products(flat).reshape(moved.shape)
        return (g * np.transpose(others, np.argsort(rest + list(axes))),)
    return out, backward


def prod(x, axis=None, keepdims=False):
    x = _tensor(x)
    dtype = x.dtype
    if dtype.kind == "b":
        dtype = np.dtype(np.int32)
    return _prod(x, axes=_axes(axis, x.ndim), keepdims=keepdims, dtype=dtype)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


@differentiable
def _mean(x, axes, keepdims):
    n = _count(x.shape, axes)
    acc = _F32 if x.dtype in _HALF else x.dtype
    total = np.add.reduce(x, axis=axes, dtype=acc, keepdims=keepdims)
    out = _arr(total / n if n else total * np.nan).astype(x.dtype, copy=False)  # an empty mean is nan
    return out, lambda g: (_expand_to(g / n, x.shape, axes, keepdims),)


def mean(x, axis=None, keepdims=False):
    x = _floating(x)
    return _mean(x, axes=_axes(axis, x.ndim), keepdims=keepdims)


def _deviation(x, axes, keepdims):
    """(x - mean, the mean squared deviation, the count) over axes."""
    n = _count(x.shape, axes)
    if n == 0:  # nan, as numpy, without its warnings
        return x, np.full(np.add.reduce(x, axis=axes, keepdims=keepdims).shape, np.nan, x.dtype), 1
    acc = _F32 if x.dtype in _HALF else x.dtype
    d = x - (np.add.reduce(x, axis=axes, dtype=acc, keepdims=True) / n).astype(x.dtype)
    return d, np.add.reduce(d * d, axis=axes, keepdims=keepdims) / n, n


@differentiable
def _var(x, axes, keepdims):
    d, out, n = _deviation(x, axes, keepdims)
    return _arr(out), lambda g: (_expand_to(g, x.shape, axes, keepdims) * (2 / n) * d,)


@differentiable
def _std(x, axes, keepdims):
    d, out, n = _deviation(x, axes, keepdims)
    out = _arr(np.sqrt(out))

    def backward(g):
        s = out.reshape(_kept_shape(x.shape, axes))
        # a constant slice has no defined slope: give it 0 rather than nan
        scale = np.where(s > 0, 1 / (n * np.where(s > 0, s, 1)), 0)
        return (_expand_to(g, x.shape, axes, keepdims) * scale * d,)
    return out, backward


def var(x, axis=None, keepdims=False):
    x = _floating(x)
    return _var(x, axes=_axes(axis, x.ndim), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    x = _floating(x)
    return _std(x, axes=_axes(axis, x.ndim), keepdims=keepdims)


@differentiable
def _extreme(x, axes, keepdims, ufunc):
    out = _arr(ufunc.reduce(x, axis=axes, keepdims=keepdims))

    def backward(g):
        kept = _kept_shape(x.shape, axes)
        hit = x == out.reshape(kept)
        count = np.add.reduce(hit, axis=axes, keepdims=True, dtype=g.dtype)
        return (hit * (g.reshape(kept) / count),)  # ties share the gradient
    return out, backward


def max(x, axis=None, keepdims=False):
    x = _tensor(x)
    return _extreme(x, axes=_axes(axis, x.ndim), keepdims=keepdims, ufunc=np.maximum)


def min(x, axis=None, keepdims=False):
    x = _tensor(x)
    return _extreme(x, axes=_axes(axis, x.ndim), keepdims=keepdims, ufunc=np.minimum)


@kernel
def argmax(x, axis=-1):
    return _arr(np.argmax(raw(_tensor(x)), axis=axis)).astype(np.int64, copy=False)


@kernel
def argmin(x, axis=-1):
    return _arr(np.argmin(raw(_tensor(x)), axis=axis)).astype(np.int64, copy=False)


@kernel
def any(x, axis=None, keepdims=False):
    x = raw(_tensor(x))
    return _arr(np.any(x, axis=_axes(axis, x.ndim), keepdims=keepdims))


@kernel
def all(x, axis=None, keepdims=False):
    x = raw(_tensor(x))
    return _arr(np.all(x, axis=_axes(axis, x.ndim), keepdims=keepdims))


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


@differentiable
def _cumsum(x, axis, dtype):
    return np.cumsum(x, axis=axis, dtype=dtype), lambda g: (_reverse_cumsum(g, axis),)


@differentiable
def _cumprod(x, axis, dtype):
    out = np.cumprod(x, axis=axis, dtype=dtype)

    def backward(g):
        # d out_j / d x_i = out_j / x_i before the first zero; at the first
        # zero it is the product of the other factors; after it, zero.
        zeros_so_far = np.cumsum(x == 0, axis=axis)
        before = zeros_so_far == 0
        first_zero = (zeros_so_far == 1) & (x == 0)
        grad = _reverse_cumsum(g * out, axis) / np.where(before, x, 1)
        if first_zero.any():
            skipped = np.cumprod(np.where(first_zero, 1, x), axis=axis)
            grad = np.where(first_zero, _reverse_cumsum(g * skipped, axis), grad)
        return (np.where(before | first_zero, grad, 0),)
    return out, backward


def _cumulative(kernel, x, axis):
    x = _tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axes(axis, x.ndim)[0]
    dtype = np.dtype(np.int32) if x.dtype.kind == "b" else x.dtype
    return kernel(x, axis=axis, dtype=dtype)


def cumsum(x, axis=0):
    return _cumulative(_cumsum, x, axis)


def cumprod(x, axis=0):
    return _cumulative(_cumprod, x, axis)


@differentiable
def _logsumexp(x, axes, keepdims):
    shift = np.maximum.reduce(x, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)  # all -inf (or inf) slices keep their value
    kept = np.log(np.add.reduce(np.exp(x - shift), axis=axes, keepdims=True)) + shift
    out = _arr(kept if keepdims else kept.reshape(tuple(d for i, d in enumerate(x.shape) if i not in axes)))

    def backward(g):
        with np.errstate(invalid="ignore"):  # all -inf slices: nan, as other engines
            return (_expand_to(g, x.shape, axes, keepdims) * np.exp(x - kept),)
    return out, backward


def logsumexp(x, axis=None, keepdims=False):
    x = _floating(x)
    with np.errstate(divide="ignore"):
        return _logsumexp(x, axes=_axes(axis, x.ndim), keepdims=keepdims)


@differentiable
def _l2_normalize(x, axes):
    squares = np.add.reduce(x * x, axis=axes, keepdims=True)
    floored = squares <= 1e-12
    norm = np.sqrt(np.maximum(squares, 1e-12)).astype(x.dtype, copy=False)
    out = _arr(x / norm)

    def backward(g):
        # below the floor the norm is a constant, so only g / norm remains
        along = np.where(floored, 0, np.add.reduce(g * out, axis=axes, keepdims=True))
        return ((g - out * along) / norm,)
    return out, backward


def l2_normalize(x, axis=None):
    x = _floating(x)
    return _l2_normalize(x, axes=_axes(axis, x.ndim))


# ---------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------

def _mm(x, y):
    if x.dtype in _HALF:  # numpy has no BLAS for half precision
        return _arr(np.matmul(x.astype(_F32), y.astype(_F32))).astype(x.dtype)
    return _arr(np.matmul(x, y))


@autodiff.primitive
def _matmul(x, y, needs):
    def backward(g):
        # 1-D operands act as a row (x) or a column (y)
        x2 = x if x.ndim > 1 else x[None, :]
        y2 = y if y.ndim > 1 else y[:, None]
        if y.ndim == 1:
            g = g[..., None]
        if x.ndim == 1:
            g = g[..., None, :]
        # no product for a constant operand (the data fed to a first Dense layer)
        dx = _unbroadcast(_mm(g, np.swapaxes(y2, -1, -2)), x2.shape).reshape(x.shape) if needs[0] else None
        dy = _unbroadcast(_mm(np.swapaxes(x2, -1, -2), g), y2.shape).reshape(y.shape) if needs[1] else None
        return dx, dy
    return _mm(x, y), backward


def matmul(x, y):
    x, y = _pair(x, y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul needs tensors of rank >= 1; got shapes {x.shape} and {y.shape}.")
    return _matmul(x, y)


def dot(x, y):
    import kbackend_numpy as ops
    return generic.dot(ops, x, y)


def batch_dot(x, y, axes=None):
    import kbackend_numpy as ops
    return generic.batch_dot(ops, x, y, axes)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@functools.lru_cache(maxsize=1024)
def _einsum_spec(subscripts, ndims):
    """Explicit per-operand letters (ellipsis expanded) and output letters."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(ndims):
        raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operands; got {len(ndims)}.")
    used = set(subscripts) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = builtins.max([n - len(s.replace("...", "")) for s, n in zip(inputs, ndims) if "..." in s], default=0)
    ell = "".join(spare[:n_ell])
    expanded = []
    for s, n in zip(inputs, ndims):
        if "..." in s:
            s = s.replace("...", ell[n_ell - (n - len(s.replace("...", ""))):] if n_ell else "")
        if len(s) != n:
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand of rank {n}.")
        expanded.append(s)
    if arrow:
        output = output.replace("...", ell)
    else:  # implicit mode: letters used once, in alphabetical order, after the ellipsis
        letters = "".join(expanded)
        output = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return tuple(expanded), output


def _einsum_raw(spec, operands):
    if operands[0].dtype in _HALF:
        dt = operands[0].dtype
        return _einsum_raw(spec, [o.astype(_F32) for o in operands]).astype(dt)
    return _arr(np.einsum(spec, *operands, optimize=len(operands) > 1))


def _einsum_operand_grad(g, k, operands, inputs, output):
    """The VJP of one einsum operand: contract g with the other operands."""
    x, letters = operands[k], inputs[k]
    others = [(inputs[i], operands[i]) for i in range(len(operands)) if i != k]
    available = set(output).union(*[s for s, _ in others])
    unique = "".join(dict.fromkeys(letters))
    target = "".join(c for c in unique if c in available)
    spec = ",".join([output] + [s for s, _ in others]) + "->" + target
    grad = _einsum_raw(spec, [g] + [o for _, o in others])
    sizes = {c: d for c, d in zip(letters, x.shape)}
    for s, o in [(output, g)] + others:
        sizes.update((c, d) for c, d in zip(s, o.shape) if d != 1)
    # letters summed within this operand only: the gradient is constant along them
    full = tuple(sizes[c] for c in unique)
    grad = np.broadcast_to(grad.reshape(tuple(sizes[c] if c in target else 1 for c in unique)), full)
    if len(unique) != len(letters):  # repeated letters: write onto the diagonal
        dense = np.zeros(tuple(sizes[c] for c in letters), grad.dtype)
        np.einsum(f"{letters}->{unique}", dense)[...] = grad
        grad = dense
    return _unbroadcast(grad, x.shape) if grad.shape != x.shape else grad


@differentiable
def _einsum(*operands, subscripts):
    inputs, output = _einsum_spec(subscripts, tuple(o.ndim for o in operands))
    spec = ",".join(inputs) + "->" + output

    def backward(g):
        return tuple(_einsum_operand_grad(g, k, operands, inputs, output)
                     if operands[k].dtype in _INEXACT else None for k in range(len(operands)))
    return _einsum_raw(spec, operands), backward


def einsum(subscripts, *operands):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum needs a subscripts string first; got {type(subscripts).__name__}.")
    operands, _ = _promote_all(operands)
    return _einsum(*operands, subscripts=subscripts)


# ---------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------

@differentiable
def _reshape(x, shape):
    return x.reshape(shape), lambda g: (g.reshape(x.shape),)


def reshape(x, shape):
    x = _tensor(x)
    shape = _ints(shape)
    if shape == x.shape:
        return x
    return _reshape(x, shape=shape)


def flatten(x):
    return reshape(x, (-1,))


def batch_flatten(x):
    x = _tensor(x)
    if x.ndim < 1:
        raise ValueError("batch_flatten needs a tensor of rank >= 1.")
    return reshape(x, (x.shape[0], _count(x.shape, range(1, x.ndim))))


def expand_dims(x, axis=-1):
    x = _tensor(x)
    axis = int(axis)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"expand_dims: axis {axis} is out of bounds for a tensor of rank {x.ndim}.")
    return reshape(x, np.expand_dims(raw(x), axis).shape)


def squeeze(x, axis=None):
    x = _tensor(x)
    axes = tuple(i for i, d in enumerate(x.shape) if d == 1) if axis is None else _axes(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1 (shape {x.shape}).")
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


@differentiable
def _transpose(x, axes):
    return np.transpose(x, axes), lambda g: (np.transpose(g, np.argsort(axes)),)


@functools.lru_cache(maxsize=None)
def _permutation(axes, ndim):
    if axes is None:
        return tuple(range(ndim))[::-1]
    if sorted(a % ndim if ndim else a for a in axes) != list(range(ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {ndim} axes.")
    return tuple(a % ndim for a in axes)


def transpose(x, axes=None):
    x = _tensor(x)
    return _transpose(x, axes=_permutation(None if axes is None else _ints(axes), x.ndim))


def permute_dimensions(x, pattern):
    return transpose(x, pattern)


@differentiable
def _concatenate(*tensors, axis):
    def backward(g):
        cuts = np.cumsum([t.shape[axis] for t in tensors])[:-1]
        return tuple(np.split(g, cuts, axis=axis))
    return np.concatenate(tensors, axis=axis), backward


def concatenate(tensors, axis=-1):
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError("concatenate needs a non-empty list of tensors.")
    tensors, _ = _promote_all(tensors)
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate cannot join rank-0 tensors; use stack.")
    axis = _axes(axis, ndim)[0]
    for t in tensors:
        first = tensors[0].shape
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1:] != first[:axis] + first[axis + 1:]:
            raise ValueError(f"concatenate: shapes {[t.shape for t in tensors]} differ off axis {axis}.")
    return _concatenate(*tensors, axis=axis)


@differentiable
def _stack(*tensors, axis):
    return np.stack(tensors, axis=axis), lambda g: tuple(np.moveaxis(g, axis, 0))


def stack(x, axis=0):
    if not isinstance(x, (list, tuple)) or not x:
        raise ValueError("stack needs a non-empty list of tensors.")
    tensors, _ = _promote_all(x)
    if builtins.any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack needs tensors of one shape; got {[t.shape for t in tensors]}.")
    axis = _axes(axis, tensors[0].ndim + 1)[0]
    return _stack(*tensors, axis=axis)


@differentiable
def _tile(x, reps):
    def backward(g):
        # (r0 * d0, r1 * d1, ...) -> (r0, d0, r1, d1, ...), summed over the r's
        pairs = [v for r, d in zip(reps, x.shape) for v in (r, d)]
        return (np.sum(g.reshape(pairs), axis=tuple(range(0, len(pairs), 2))).reshape(x.shape),)
    return np.tile(x, reps), backward


def tile(x, n):
    x = _tensor(x)
    reps = _ints(n)
    if builtins.any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions must be >= 0; got {reps}.")
    rank = builtins.max(x.ndim, len(reps))
    reps = (1,) * (rank - len(reps)) + reps
    x = reshape(x, (1,) * (rank - x.ndim) + x.shape)
    return _tile(x, reps=reps)


@differentiable
def _repeat(x, n):
    out = np.repeat(x[:, None], n, axis=1)
    return out, lambda g: (np.sum(g, axis=1),)


def repeat(x, n):
    x = _tensor(x)
    if x.ndim < 1:
        raise ValueError("repeat needs a tensor of rank >= 1 (batch, dim).")
    return _repeat(x, n=int(n))


@differentiable
def _repeat_elements(x, rep, axis):
    def backward(g):
        split = x.shape[:axis] + (x.shape[axis], rep) + x.shape[axis + 1:]
        return (np.sum(g.reshape(split), axis=axis + 1),)
    return np.repeat(x, rep, axis=axis), backward


def repeat_elements(x, rep, axis):
    x = _tensor(x)
    rep = int(rep)
    if rep < 0:
        raise ValueError(f"repeat_elements: rep must be >= 0; got {rep}.")
    return _repeat_elements(x, rep=rep, axis=_axes(axis, x.ndim)[0])


def _sum_rows_by_index(indices, values, shape, dtype):
    """Zeros of `shape` with values' rows added at `indices` along axis 0, repeats summed in
    order of appearance (np.add.at's numbers). The first row for each index is stored, and only
    the repeats go through np.add.at, which works element by element: an embedding's gradient
    (a few repeats among thousands of lookups) takes ~4x less time."""
    out = np.zeros(shape, dtype)
    idx = indices.reshape(-1)
    if idx.size == 0:
        return out
    idx = np.where(idx < 0, idx + shape[0], idx)  # -1 and n - 1 are one row
    rows = values.reshape((idx.size,) + tuple(shape[1:]))
    order = np.argsort(idx, kind="stable")  # stable: repeats keep their order of appearance
    idx = idx[order]
    first = np.concatenate(([True], idx[1:] != idx[:-1]))
    out[idx[first]] = np.take(rows, order[first], axis=0)
    if not first.all():
        repeats = ~first
        np.add.at(out, idx[repeats], np.take(rows, order[repeats], axis=0))
    return out


@differentiable
def _gather(reference, indices):
    n = reference.shape[0]
    if indices.size and (indices.min() < -n or indices.max() >= n):  # here, so a replayed step checks too
        raise ValueError(f"gather: indices out of range for an axis of size {n}.")

    def backward(g):
        return (_sum_rows_by_index(indices, g, reference.shape, reference.dtype),)
    return _arr(np.take(reference, indices, axis=0)), backward


def gather(reference, indices):
    reference = _tensor(reference)
    indices = raw(_tensor(indices))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"gather needs integer indices; got {indices.dtype.name}.")
    if reference.ndim == 0:
        raise ValueError("gather needs a reference of rank >= 1.")
    return _gather(reference, indices=indices)


def slice(x, start, size):
    x = _tensor(x)
    # the start may be a tensor (a compiled step's batch position): read inside the op
    start = [raw(v) for v in start] if isinstance(start, (list, tuple)) else raw(start)
    return _slice_at(x, start, sizes=_ints(size))


@differentiable
def _slice_at(x, start, sizes):
    start = _ints(start)
    if len(start) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(f"slice: start {start} and size {sizes} need one entry per axis of shape {x.shape}.")
    key = []
    for s, z, d in zip(start, sizes, x.shape):
        stop = d if z == -1 else s + z
        if s < 0 or z < -1 or stop > d:
            raise ValueError(f"slice: start {start} with size {sizes} does not fit in shape {x.shape}.")
        key.append(builtins.slice(s, stop))
    key = tuple(key)

    def backward(g):
        dx = np.zeros_like(x)
        dx[key] = g
        return dx, None
    return x[key], backward


@kernel
def one_hot(indices, num_classes):
    indices = raw(_tensor(indices))
    hot = indices[..., None] == np.arange(int(num_classes))
    return hot.astype(core.np_dtype(config.floatx()))


@differentiable
def _take_along(x, indices, axis):
    def backward(g):
        dx = np.zeros_like(x)
        np.put_along_axis(dx, indices, g, axis=axis)  # the indices are distinct: no accumulation
        return (dx,)
    return np.take_along_axis(x, indices, axis=axis), backward


def top_k(x, k, sorted=True):
    x = _tensor(x)
    k = int(k)
    if x.ndim < 1 or not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k={k} must be in [0, {x.shape[-1] if x.ndim else 0}] (shape {x.shape}).")
    n = x.shape[-1]
    # descending, ties in index order: stable ascending sort of the reversed
    # row, read backwards
    order = np.argsort(raw(x)[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    indices = (n - 1 - order).astype(np.int32)
    return _take_along(x, indices=indices, axis=-1), indices


@kernel
def in_top_k(predictions, targets, k):
    predictions = raw(_tensor(predictions))
    targets = raw(_tensor(targets)).reshape(-1).astype(np.int64)
    n = predictions.shape[-1]
    valid = (targets >= 0) & (targets < n)
    target_values = np.take_along_axis(predictions, np.where(valid, targets, 0)[:, None], axis=-1)
    above = np.sum(predictions > target_values, axis=-1)
    return _arr(valid & np.isfinite(target_values[:, 0]) & (above < int(k)))


def sort(x, axis=-1):
    x = _tensor(x)
    axis = _axes(axis, x.ndim)[0]
    if type(x) is not Box:
        return np.sort(x, axis=axis)
    return _take_along(x, indices=np.argsort(x.value, axis=axis, kind="stable"), axis=axis)


_PAD_MODES = ("constant", "reflect", "symmetric")


@differentiable
def _pad(x, widths, mode, constant_values):
    if mode == "constant":
        out = np.pad(x, widths, mode="constant", constant_values=constant_values)
        key = tuple(builtins.slice(b, b + d) for (b, _), d in zip(widths, x.shape))
        return out, lambda g: (g[key],)
    out = np.pad(x, widths, mode=mode)

    def backward(g):
        # pad the element indices the same way and add g back onto its sources
        sources = np.pad(np.arange(x.size).reshape(x.shape), widths, mode=mode)
        dx = np.bincount(sources.reshape(-1), weights=g.reshape(-1).astype(np.float64), minlength=x.size)
        return (dx.astype(g.dtype).reshape(x.shape),)
    return out, backward


def pad(x, pad_width, mode="constant", constant_values=0):
    x = _tensor(x)
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}; got {mode!r}.")
    widths = np.asarray(raw(_tensor(pad_width)) if not isinstance(pad_width, (list, tuple, int)) else pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers; got {pad_width!r}.")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of rank {x.ndim}.") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be >= 0; got {pad_width!r}.")
    widths = tuple((int(b), int(a)) for b, a in widths)
    if mode != "constant" and builtins.any(d == 0 and (b or a) for (b, a), d in zip(widths, x.shape)):
        raise ValueError(f"pad: mode {mode!r} cannot pad an empty axis.")
    return _pad(x, widths=widths, mode=mode, constant_values=raw(_tensor(constant_values)))


autodiff._install_operators()
