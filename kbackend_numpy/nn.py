"""Neural-network ops of the numpy engine.

The ops that dominate training time are tape primitives with a hand-written
backward (activations, softmax, convolutions, pooling, normalization,
cross-entropies), so a training step records a handful of nodes rather than
dozens of elementwise ones. Half-precision inputs are computed in float32 and
cast back; channels_first data is moved to channels_last on the way in (a view)
and back on the way out.
"""

import math as _pymath

import numpy as np

from kbackend import config, conv_utils, dtypes

from . import conv, core, math, random, replay
from .autodiff import Box, Node, differentiable, differentiated, primitive, raw
from .recurrent import gru, lstm  # noqa: F401  (the fused recurrent layers, in group nn)

_WIDE = (np.dtype(np.float32), np.dtype(np.float64))


def _up(a):
    """a in float32 or float64, the precisions the computations run in."""
    return a if a.dtype in _WIDE else a.astype(np.float32)


def _name(t):
    return core.dtype_name(raw(t).dtype)


def _float_input(x):
    """x as a tensor of a float dtype (integers and bools become floatx)."""
    x = core.convert_to_tensor(x)
    return x if dtypes.is_float(_name(x)) else core.cast(x, config.floatx())


def _float_inputs(*xs):
    """The tensors xs, cast to their common (float) result dtype."""
    xs = [core.convert_to_tensor(x) for x in xs]
    dt = dtypes.result_type(*(_name(x) for x in xs))
    dt = dt if dtypes.is_float(dt) else config.floatx()
    return [core.cast(x, dt) for x in xs]


def _channels_first(data_format):
    return config.normalize_data_format(data_format) == "channels_first"


def _to_last(a, channels_first):
    return np.moveaxis(a, 1, -1) if channels_first else a


def _to_first(a, channels_first):
    return np.moveaxis(a, -1, 1) if channels_first else a


# ---------------------------------------------------------------------------
# activations: elementwise primitives y = fn(x) with dy/dx = grad(x, y)
# ---------------------------------------------------------------------------

@differentiable
def _elementwise(x, fn, grad, uses_input=True):
    """uses_input=False: grad needs only y (called as grad(None, y)), so the tape does not keep
    the input alive until the backward pass (one activation-sized array less per layer)."""
    dtype = x.dtype
    xc = _up(x)
    y = fn(xc)
    kept = xc if uses_input else None
    del x, xc

    def backward(g):
        return ((_up(g) * grad(kept, y)).astype(dtype, copy=False),)
    return y.astype(dtype, copy=False), backward


@differentiable
def _relu(x):
    """max(x, 0). Its tape node is recognised by max pooling (see _pool_nd), which then
    differentiates through both ops at once."""
    dtype = x.dtype
    y = np.maximum(_up(x), 0)

    def backward(g):
        return ((_up(g) * (y > 0)).astype(dtype, copy=False),)
    backward.relu = True
    return y.astype(dtype, copy=False), backward


def _sigmoid(x):
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1, z) / (1 + z)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    x = _float_input(x)
    alpha, threshold = float(raw(alpha)), float(raw(threshold))
    if alpha == 0 and max_value is None and threshold == 0:
        return _relu(x)
    cap = np.inf if max_value is None else float(raw(max_value))

    def fn(v):
        return np.where(v >= threshold, np.minimum(v, cap), alpha * (v - threshold))

    def grad(v, y):
        return np.where(v >= threshold, (v < cap).astype(v.dtype), alpha)
    return _elementwise(x, fn=fn, grad=grad)


def elu(x, alpha=1.0):
    alpha = float(raw(alpha))
    return _elementwise(_float_input(x), fn=lambda v: np.where(v > 0, v, alpha * np.expm1(np.minimum(v, 0))),
                        grad=lambda v, y: np.where(v > 0, 1, y + alpha))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def selu(x):
    a, s = _SELU_ALPHA, _SELU_SCALE
    return _elementwise(_float_input(x), fn=lambda v: s * np.where(v > 0, v, a * np.expm1(np.minimum(v, 0))),
                        grad=lambda v, y: np.where(v > 0, s, y + s * a))


_SQRT_2_OVER_PI = _pymath.sqrt(2 / _pymath.pi)


def gelu(x, approximate=False):
    x = _float_input(x)
    if approximate:
        def fn(v):
            return 0.5 * v * (1 + np.tanh(_SQRT_2_OVER_PI * (v + 0.044715 * v ** 3)))

        def grad(v, y):
            t = np.tanh(_SQRT_2_OVER_PI * (v + 0.044715 * v ** 3))
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v)
        return _elementwise(x, fn=fn, grad=grad)

    def fn_erf(v):
        return 0.5 * v * (1 + math.erf(v / _pymath.sqrt(2)))

    def grad_erf(v, y):
        return 0.5 * (1 + math.erf(v / _pymath.sqrt(2))) + v * np.exp(-0.5 * v * v) / _pymath.sqrt(2 * _pymath.pi)
    return _elementwise(x, fn=fn_erf, grad=grad_erf)


def silu(x):
    def grad(v, y):
        s = _sigmoid(v)
        return s * (1 + v * (1 - s))
    return _elementwise(_float_input(x), fn=lambda v: v * _sigmoid(v), grad=grad)


def softplus(x):
    return _elementwise(_float_input(x), fn=lambda v: np.logaddexp(0, v), grad=lambda v, y: _sigmoid(v))


def softsign(x):
    return _elementwise(_float_input(x), fn=lambda v: v / (1 + np.abs(v)),
                        grad=lambda v, y: 1 / np.square(1 + np.abs(v)))


def sigmoid(x):
    return _elementwise(_float_input(x), fn=_sigmoid, grad=lambda v, y: y * (1 - y), uses_input=False)


def hard_sigmoid(x):
    return _elementwise(_float_input(x), fn=lambda v: np.clip(0.2 * v + 0.5, 0, 1),
                        grad=lambda v, y: np.where((y > 0) & (y < 1), 0.2, 0), uses_input=False)


@differentiable
def _softmax(x, axis, log):
    xc = _up(x)
    z = xc - xc.max(axis=axis, keepdims=True)
    if log:
        y = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    else:
        y = np.exp(z)
        y /= y.sum(axis=axis, keepdims=True)

    def backward(g):
        g = _up(g)
        if log:
            dx = g - np.exp(y) * g.sum(axis=axis, keepdims=True)
        else:
            dx = y * (g - (g * y).sum(axis=axis, keepdims=True))
        return (dx.astype(x.dtype, copy=False),)
    return y.astype(x.dtype, copy=False), backward


def softmax(x, axis=-1):
    return _softmax(_float_input(x), axis=axis, log=False)


def log_softmax(x, axis=-1):
    return _softmax(_float_input(x), axis=axis, log=True)


def dropout(x, level, noise_shape=None, seed=None):
    x = _float_input(x)
    level = float(raw(level))
    if not 0 <= level < 1:
        raise ValueError(f"dropout level must be in [0, 1); got {level}.")
    shape = raw(x).shape
    if noise_shape is not None:
        noise_shape = tuple(noise_shape)
        if len(noise_shape) != len(shape):
            raise ValueError(f"noise_shape {noise_shape} must have the rank of x {shape}.")
        shape = tuple(n if d is None else int(d) for n, d in zip(shape, noise_shape))
    return _dropped(x, random.keep_mask(shape, 1.0 - level, seed=seed), level=level)


@differentiable
def _dropped(x, keep, level):
    """x * keep / (1 - level), keep broadcast to x's shape (no gradient for keep)."""
    dt = x.dtype
    if dt in _WIDE:  # the kept scale rounded to x's dtype, without a float64 pass
        scale = np.multiply(keep, dt.type(1 / (1 - level)))
    else:
        scale = np.where(keep, 1 / (1 - level), 0).astype(dt)
    return x * scale, lambda g: (g * scale, None)


# ---------------------------------------------------------------------------
# bias, normalization
# ---------------------------------------------------------------------------

def _channel_broadcast(param, ndim, axis):
    """A 1-D per-channel parameter reshaped to broadcast along axis of a rank-ndim tensor."""
    if param.ndim != 1 or ndim < 2:
        return param
    shape = [1] * ndim
    shape[axis] = param.shape[0]
    return param.reshape(shape)


def _unbroadcast(g, shape):
    """Sum g (of a broadcast result) back to an operand of shape `shape`."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def _bias_grad(g, b, bb):
    """The gradient of bias b (broadcast as bb): g summed over every axis but the bias's."""
    if b.ndim == 1 and bb.shape[-1] == b.shape[0] and g.ndim >= 2 and g.dtype in _WIDE and g.flags.c_contiguous:
        rows = g.reshape(-1, b.shape[0])  # channels last: one BLAS matrix-vector product over the rows
        return np.matmul(np.ones(rows.shape[0], g.dtype), rows)
    return _unbroadcast(g, bb.shape).reshape(b.shape)


# numpy adds a broadcast operand row by row: rows of a few channels cost about twice a plain pass over
# x, rows of this many numbers or more run at copy speed.
_LONG_ROW = 8192


def _add_bias(x, b, bb, axis):
    """x + bb; a per-channel bias on the last axis of a C-contiguous x is first repeated along
    the trailing spatial axes, so each broadcast row is long (the same sums, faster)."""
    if (b.ndim != 1 or axis != x.ndim - 1 or x.ndim < 3 or x.size == 0 or x.dtype != b.dtype
            or not x.flags.c_contiguous):
        return x + bb
    repeat = 1
    for n in reversed(x.shape[1:-1]):
        if repeat * b.size >= _LONG_ROW:
            break
        repeat *= n
    row = np.tile(b, repeat)
    out = np.empty(x.shape, x.dtype)
    np.add(x.reshape(-1, row.size), row, out=out.reshape(-1, row.size))
    return out


@differentiable
def _bias_add(x, b, axis):
    bb = _channel_broadcast(b, x.ndim, axis)

    def backward(g):
        return g, _bias_grad(g, b, bb).astype(b.dtype, copy=False)
    return _add_bias(x, b, bb, axis), backward


def bias_add(x, bias, data_format=None):
    x, bias = _float_inputs(x, bias)
    shape, bshape = raw(x).shape, raw(bias).shape
    axis = 1 if _channels_first(data_format) and len(shape) >= 3 else len(shape) - 1
    if len(bshape) == 1:
        ok = len(shape) >= 1 and bshape[0] == shape[axis]
    else:
        ok = len(bshape) == len(shape) - 1 and (bshape == shape[1:])
    if not ok:
        raise ValueError(f"bias_add: a bias of shape {bshape} does not match x of shape {shape} "
                         f"(channel axis {axis}).")
    return _bias_add(x, bias, axis=axis)


def moments(x, axes, keepdims=False):
    x = _float_input(x)
    dt = _name(x)
    if dt in ("float16", "bfloat16"):  # sums of squares overflow in half precision
        x = core.cast(x, "float32")
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    mean = math.mean(x, axis=axes, keepdims=True)
    var = math.mean(math.square(math.subtract(x, mean)), axis=axes, keepdims=keepdims)
    if not keepdims:
        mean = math.reshape(mean, raw(var).shape)
    return core.cast(mean, dt), core.cast(var, dt)


@primitive
def _batch_norm(x, mean, var, beta, gamma, axis, epsilon, needs):
    dt = x.dtype
    xc = _up(x)
    m, v = (_channel_broadcast(_up(p), x.ndim, axis) for p in (mean, var))
    b = None if beta is None else _channel_broadcast(_up(beta), x.ndim, axis)
    s = None if gamma is None else _channel_broadcast(_up(gamma), x.ndim, axis)
    inv = 1 / np.sqrt(v + epsilon)
    centered = xc - m
    xhat = centered * inv
    y = xhat if s is None else xhat * s
    if b is not None:
        y = y + b

    def backward(g):
        g = _up(g)
        gs = g if s is None else g * s  # gradient of xhat
        dx = (gs * inv).astype(dt, copy=False) if needs[0] else None
        dmean = -_unbroadcast(gs * inv, m.shape).reshape(mean.shape) if needs[1] else None
        dvar = _unbroadcast(gs * centered * (-0.5 * inv ** 3), v.shape).reshape(var.shape) if needs[2] else None
        dbeta = _unbroadcast(g, b.shape).reshape(beta.shape) if needs[3] else None
        dgamma = _unbroadcast(g * xhat, s.shape).reshape(gamma.shape) if needs[4] else None
        grads = (dx, dmean, dvar, dbeta, dgamma)
        return tuple(None if d is None else d.astype(p.dtype, copy=False)
                     for d, p in zip(grads, (x, mean, var, beta, gamma)))
    return y.astype(dt, copy=False), backward


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    present = [t for t in (x, mean, var, beta, gamma) if t is not None]
    converted = iter(_float_inputs(*present))
    x, mean, var, beta, gamma = (None if t is None else next(converted) for t in (x, mean, var, beta, gamma))
    ndim = raw(x).ndim
    axis = axis + ndim if axis < 0 else axis
    if not 0 <= axis < ndim:
        raise ValueError(f"batch_normalization: axis {axis} is out of range for rank {ndim}.")
    return _batch_norm(x, mean, var, beta, gamma, axis=axis, epsilon=float(epsilon))


# ---------------------------------------------------------------------------
# convolutions (one N-d implementation; see conv.py)
# ---------------------------------------------------------------------------

def _conv_options(x, kernel, nd, strides, padding, data_format, dilation_rate, allow_causal=False):
    """Checked (x, kernel, strides, padding, dilation, channels_first) for an nd-d convolution."""
    x, kernel = _float_inputs(x, kernel)
    if raw(x).ndim != nd + 2 or raw(kernel).ndim != nd + 2:
        raise ValueError(f"A {nd}-D convolution needs an input of rank {nd + 2} and a kernel of rank {nd + 2}; "
                         f"got shapes {raw(x).shape} and {raw(kernel).shape}.")
    strides, dilation = conv_utils.conv_strides_dilation(strides, dilation_rate, nd)
    padding = conv_utils.normalize_padding(padding, allow_causal)
    return x, kernel, strides, padding, dilation, _channels_first(data_format)


def _check_channels(x, channels, cf, kernel_shape, what):
    have = raw(x).shape[1 if cf else -1]
    if have != channels:
        raise ValueError(f"{what}: the input has {have} channels but the kernel of shape {kernel_shape} "
                         f"expects {channels}.")


@primitive
def _conv(x, w, strides, padding, dilation, cf, needs):
    x = _to_last(x, cf)
    xc, wc = _up(x), _up(w)
    pads = conv_utils.pad_amounts(x.shape[1:-1], w.shape[:-2], strides, dilation, padding)
    xp = conv.pad(xc, pads)
    y, cols = conv.conv(xp, wc, strides, dilation)
    padded_shape = xp.shape
    kept = xp if cols is None and needs[1] else None  # conv went by chunks: the kernel gradient remakes them
    del xp

    def backward(g):
        g = _up(_to_last(g, cf))
        dx = dw = None
        if needs[0]:
            dx = conv.conv_input_grad(g, wc, padded_shape, strides, dilation)[conv.interior(x.shape, pads)]
            dx = _to_first(dx.astype(x.dtype, copy=False), cf)
        if needs[1]:
            dw = conv.conv_kernel_grad(cols, g, w.shape, kept, strides, dilation)
            dw = dw.astype(w.dtype, copy=False)
        return dx, dw
    return _to_first(y.astype(x.dtype, copy=False), cf), backward


def _conv_nd(nd, x, kernel, strides, padding, data_format, dilation_rate):
    x, kernel, strides, padding, dilation, cf = _conv_options(
        x, kernel, nd, strides, padding, data_format, dilation_rate, allow_causal=nd == 1)
    _check_channels(x, raw(kernel).shape[-2], cf, raw(kernel).shape, f"conv{nd}d")
    return _conv(x, kernel, strides=strides, padding=padding, dilation=dilation, cf=cf)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    return _conv_nd(1, x, kernel, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    return _conv_nd(2, x, kernel, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    return _conv_nd(3, x, kernel, strides, padding, data_format, dilation_rate)


@primitive
def _conv_transpose(x, w, out_spatial, strides, padding, dilation, cf, needs):
    # x is the output gradient of a convolution of kernel w (*k, out channels, in channels)
    x = _to_last(x, cf)
    xc, wc = _up(x), _up(w)
    pads = conv_utils.pad_amounts(out_spatial, w.shape[:-2], strides, dilation, padding)
    y_shape = (x.shape[0],) + tuple(out_spatial) + (w.shape[-2],)
    padded_shape = (x.shape[0],) + tuple(n + b + a for n, (b, a) in zip(out_spatial, pads)) + (w.shape[-2],)
    y = conv.conv_input_grad(xc, wc, padded_shape, strides, dilation)[conv.interior(y_shape, pads)]

    def backward(g):
        gp = conv.pad(_up(_to_last(g, cf)), pads)
        cols, _ = conv.im2col(gp, w.shape[:-2], strides, dilation)
        dx = dw = None
        if needs[0]:
            dx = np.matmul(cols, wc.reshape(-1, w.shape[-1])).reshape(x.shape)
            dx = _to_first(dx.astype(x.dtype, copy=False), cf)
        if needs[1]:
            dw = conv.conv_kernel_grad(cols, xc, w.shape).astype(w.dtype, copy=False)
        return dx, dw
    return _to_first(y.astype(x.dtype, copy=False), cf), backward


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    x, kernel, strides, padding, dilation, cf = _conv_options(
        x, kernel, 2, strides, padding, data_format, dilation_rate)
    kshape = raw(kernel).shape
    _check_channels(x, kshape[-1], cf, kshape, "conv2d_transpose")
    xshape = raw(x).shape
    sizes = xshape[2:] if cf else xshape[1:-1]
    out = conv_utils.transpose_output_sizes(sizes, kshape[:2], strides, dilation, padding, output_shape, cf)
    return _conv_transpose(x, kernel, out_spatial=out, strides=strides, padding=padding,
                           dilation=dilation, cf=cf)


@primitive
def _depthwise(x, w, strides, padding, dilation, cf, needs):
    x = _to_last(x, cf)
    xc, wc = _up(x), _up(w)
    kernel, (channels, mult) = w.shape[:-2], w.shape[-2:]
    k = _pymath.prod(kernel)
    pads = conv_utils.pad_amounts(x.shape[1:-1], kernel, strides, dilation, padding)
    xp = conv.pad(xc, pads)
    view = conv.windows(xp, kernel, strides, dilation)  # (batch, *out, *kernel, channels)
    out = view.shape[1:1 + len(kernel)]
    # one matmul per channel, batched: (channels, positions, k) @ (channels, k, mult)
    cols = np.moveaxis(view, -1, 0).reshape(channels, -1, k)
    wk = wc.reshape(k, channels, mult).transpose(1, 0, 2)
    y = np.matmul(cols, wk).transpose(1, 0, 2).reshape((x.shape[0],) + out + (channels * mult,))
    padded_shape = xp.shape
    del xp, view

    def backward(g):
        gy = _up(_to_last(g, cf)).reshape(-1, channels, mult).transpose(1, 0, 2)
        dx = dw = None
        if needs[0]:
            dcols = np.matmul(gy, wk.transpose(0, 2, 1)).reshape((channels, x.shape[0]) + out + kernel)
            dx = conv.col2im(np.moveaxis(dcols, 0, -1), padded_shape, kernel, strides, dilation, out)
            dx = _to_first(dx[conv.interior(x.shape, pads)].astype(x.dtype, copy=False), cf)
        if needs[1]:
            dw = np.matmul(cols.transpose(0, 2, 1), gy).transpose(1, 0, 2).reshape(w.shape)
            dw = dw.astype(w.dtype, copy=False)
        return dx, dw
    return _to_first(y.astype(x.dtype, copy=False), cf), backward


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    x, kernel, strides, padding, dilation, cf = _conv_options(
        x, depthwise_kernel, 2, strides, padding, data_format, dilation_rate)
    _check_channels(x, raw(kernel).shape[-2], cf, raw(kernel).shape, "depthwise_conv2d")
    return _depthwise(x, kernel, strides=strides, padding=padding, dilation=dilation, cf=cf)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    y = depthwise_conv2d(x, depthwise_kernel, strides, padding, data_format, dilation_rate)
    pointwise_kernel = core.convert_to_tensor(pointwise_kernel)
    if raw(pointwise_kernel).ndim != 4 or raw(pointwise_kernel).shape[:2] != (1, 1):
        raise ValueError(f"separable_conv2d: the pointwise kernel must have shape (1, 1, in, out); "
                         f"got {raw(pointwise_kernel).shape}.")
    return conv2d(y, pointwise_kernel, (1, 1), "valid", data_format, (1, 1))


# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------

def _pool_values(x, pool_size, strides, padding, mode, cf, after_relu=False):
    """(pooled x, backward) on raw arrays. after_relu (max only): x = relu(z), and the backward
    gives z's gradient directly."""
    x = _to_last(x, cf)
    xc = _up(x)
    nd = len(pool_size)
    ones = (1,) * nd
    pads = conv_utils.pad_amounts(x.shape[1:-1], pool_size, strides, ones, padding)
    xp = conv.pad(xc, pads, -np.inf if mode == "max" else 0)
    out = conv.out_sizes(xp.shape[1:-1], pool_size, strides, ones)
    y = conv.pool(xp, pool_size, strides, out, mode)
    count = _pymath.prod(pool_size)
    if mode == "avg":
        if any(b or a for b, a in pads):  # each window's count of real (unpadded) cells
            ones_xp = conv.pad(np.ones((1,) + x.shape[1:-1] + (1,), xc.dtype), pads)
            count = conv.pool(ones_xp, pool_size, strides, out, "sum")
        y = y / count
    padded_shape = xp.shape
    kept = xp if mode == "max" else None  # avg's backward needs no values

    def backward(g):
        g = _up(_to_last(g, cf))
        if mode == "max":
            dx = conv.max_pool_grad(kept, _positive_or_nan(y) if after_relu else y, g, pool_size, strides)
        else:
            dx = conv.sum_pool_grad(g / count, padded_shape, pool_size, strides)
        return (_to_first(dx[conv.interior(x.shape, pads)].astype(x.dtype, copy=False), cf),)
    return _to_first(y.astype(x.dtype, copy=False), cf), backward


def _positive_or_nan(y):
    """y with NaN for every entry not above 0 (y / (y > 0), no branches): a max pooling's
    maxima after a ReLU, where windows whose maximum is 0 must pass no gradient back."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(y, y > 0)


_pool = differentiable(_pool_values)


def _pool_nd(nd, x, pool_size, strides, padding, data_format, pool_mode):
    x = _float_input(x)
    if raw(x).ndim != nd + 2:
        raise ValueError(f"pool{nd}d needs an input of rank {nd + 2}; got shape {raw(x).shape}.")
    pool_size, strides, padding = conv_utils.pool_args(pool_size, strides, padding, pool_mode, nd)
    options = dict(pool_size=pool_size, strides=strides, padding=padding, mode=pool_mode,
                   cf=_channels_first(data_format))
    if pool_mode == "max" and differentiated(x) and getattr(x.node.backward, "relu", False):
        # max pooling of a ReLU's output (a conv layer's activation, then pooling): the gradient goes
        # straight to the ReLU's input. It reaches the cells holding their window's maximum, when that is
        # above 0; the ReLU would zero the rest. One pass less over the activation, and no ties to break
        # in the windows the ReLU zeroed. The ReLU's own node still serves any other use of its output.
        y, backward = replay.call(_pool_values, x.value, after_relu=True, **options)
        return Box(y, Node(x.node.parents, backward))
    return _pool(x, **options)


def pool1d(x, pool_size, strides=1, padding="valid", data_format=None, pool_mode="max"):
    return _pool_nd(1, x, pool_size, strides, padding, data_format, pool_mode)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool_nd(2, x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool_nd(3, x, pool_size, strides, padding, data_format, pool_mode)


# ---------------------------------------------------------------------------
# cross-entropies
# ---------------------------------------------------------------------------

def _target_like(target, output):
    output = _float_input(output)
    target = core.cast(core.convert_to_tensor(target), _name(output))
    if raw(target).shape != raw(output).shape:
        raise ValueError(f"target and output must have the same shape; got {raw(target).shape} "
                         f"and {raw(output).shape}.")
    return target, output


@differentiable
def _binary_ce(t, o, from_logits, eps):
    tc, oc = _up(t), _up(o)
    if from_logits:
        loss = np.maximum(oc, 0) - oc * tc + np.log1p(np.exp(-np.abs(oc)))
    else:
        p = np.clip(oc, eps, 1 - eps)
        log_p, log_q = np.log(p), np.log1p(-p)
        loss = -(tc * log_p + (1 - tc) * log_q)

    def backward(g):
        g = _up(g)
        if from_logits:
            do, dt = g * (_sigmoid(oc) - tc), -g * oc
        else:
            inside = (oc > eps) & (oc < 1 - eps)
            do = np.where(inside, g * ((1 - tc) / (1 - p) - tc / p), 0)
            dt = -g * (log_p - log_q)
        return dt.astype(t.dtype, copy=False), do.astype(o.dtype, copy=False)
    return loss.astype(o.dtype, copy=False), backward


def binary_crossentropy(target, output, from_logits=False):
    target, output = _target_like(target, output)
    return _binary_ce(target, output, from_logits=bool(from_logits), eps=config.epsilon())


@differentiable
def _categorical_ce(t, o, axis, from_logits, eps):
    tc, oc = _up(t), _up(o)
    if from_logits:
        z = oc - oc.max(axis=axis, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    else:
        total = oc.sum(axis=axis, keepdims=True)
        q = oc / total
        log_p = np.log(np.clip(q, eps, 1 - eps))
    loss = -(tc * log_p).sum(axis=axis)

    def backward(g):
        g = np.expand_dims(_up(g), axis)
        if from_logits:
            do = g * (np.exp(log_p) * tc.sum(axis=axis, keepdims=True) - tc)
        else:
            dq = np.where((q > eps) & (q < 1 - eps), -g * tc / q, 0)
            do = (dq - (dq * q).sum(axis=axis, keepdims=True)) / total
        return (-g * log_p).astype(t.dtype, copy=False), do.astype(o.dtype, copy=False)
    return loss.astype(o.dtype, copy=False), backward


def _class_axis(output, axis):
    ndim = raw(output).ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for an output of rank {ndim}.")
    return axis % ndim


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _target_like(target, output)
    return _categorical_ce(target, output, axis=_class_axis(output, axis), from_logits=bool(from_logits),
                           eps=config.epsilon())


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = _float_input(output)
    axis = _class_axis(output, axis)
    shape = raw(output).shape
    labels = np.asarray(raw(core.convert_to_tensor(target)))
    if labels.ndim == len(shape) and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    expected = shape[:axis] + shape[axis + 1:]
    if labels.shape != expected:
        raise ValueError(f"sparse_categorical_crossentropy: targets of shape {labels.shape} do not match "
                         f"an output of shape {shape} with classes on axis {axis}.")
    one_hot = replay.call(_one_hot_on, raw(core.convert_to_tensor(target)), expected, shape[axis], axis,
                          raw(output).dtype)
    return _categorical_ce(one_hot, output, axis=axis, from_logits=bool(from_logits), eps=config.epsilon())


def _one_hot_on(labels, shape, classes, axis, dtype):
    """Integer labels (of `shape`, or with a trailing 1) as one-hot rows of `dtype` on `axis`
    (a kernel: a replayed step checks its labels too)."""
    labels = np.asarray(labels).reshape(shape).astype(np.int64, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"sparse_categorical_crossentropy: target classes must be in [0, {classes}); "
                         f"got values in [{labels.min()}, {labels.max()}].")
    hot = np.expand_dims(labels, axis) == np.arange(classes).reshape((-1,) + (1,) * (len(shape) - axis))
    return hot.astype(dtype)
