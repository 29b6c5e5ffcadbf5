"""Activations, convolutions, pooling, normalization and losses of the JAX engine."""

import builtins
import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kbackend import config, conv_utils, dtypes

from . import math as m
from .core import cast, convert_to_tensor, dtype_name, promote, shape_errors
from .random import keep_mask
from .recurrent import gru, lstm  # noqa: F401  (the fused recurrent layers, in group nn)

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _float(*xs):
    """Tensors of the common float dtype of xs (integers and bool -> floatx)."""
    xs = promote(*xs)
    common = dtypes.float_result(dtype_name(xs[0].dtype))
    return [cast(x, common) for x in xs]


# -- activations -----------------------------------------------------------------

def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    (x,) = _float(x)
    if alpha == 0 and max_value is None and threshold == 0:
        # traced (jit, grad): jax.nn.relu, whose gradient is 0 at x == 0 as on every other engine
        # (jnp.maximum's is 0.5, with two selects and a divide per element backward); its forward is
        # the max that XLA fuses into a preceding convolution (a select is not). Eager calls skip the
        # custom_jvp's dispatch cost (2-3x the op's).
        return jax.nn.relu(x) if isinstance(x, jax.core.Tracer) else jnp.maximum(x, 0)
    kept = x if max_value is None else jnp.minimum(x, max_value)
    return jnp.where(x >= threshold, kept, alpha * (x - threshold))


def elu(x, alpha=1.0):
    (x,) = _float(x)
    # expm1 of min(x, 0): the unused branch must not overflow (its gradient would be nan)
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.minimum(x, 0)))


def selu(x):
    return SELU_SCALE * elu(x, SELU_ALPHA)


def gelu(x, approximate=False):
    return jax.nn.gelu(_float(x)[0], approximate=approximate)


def silu(x):
    return jax.nn.silu(_float(x)[0])


def softplus(x):
    return jax.nn.softplus(_float(x)[0])


def softsign(x):
    return jax.nn.soft_sign(_float(x)[0])


def sigmoid(x):
    return jax.nn.sigmoid(_float(x)[0])


def hard_sigmoid(x):
    return jnp.clip(0.2 * _float(x)[0] + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    (x,) = _float(x)
    axis = m._axis(axis)
    # the shift is a constant for autodiff (softmax does not depend on it)
    e = jnp.exp(x - lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True)))
    return e / jnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(_float(x)[0], axis=m._axis(axis))


def dropout(x, level, noise_shape=None, seed=None):
    level = float(level)
    if not 0.0 <= level < 1.0:
        raise ValueError(f"dropout level must be in [0, 1); got {level}.")
    (x,) = _float(x)
    if noise_shape is None:
        noise_shape = x.shape
    else:
        noise_shape = tuple(x.shape[i] if d is None else builtins.int(d) for i, d in enumerate(noise_shape))
    keep = 1.0 - level
    mask = keep_mask(noise_shape, keep, seed)
    return jnp.where(mask, x / keep, jnp.zeros((), x.dtype))


def bias_add(x, bias, data_format=None):
    data_format = config.normalize_data_format(data_format)
    x, bias = convert_to_tensor(x), convert_to_tensor(bias)
    if bias.ndim not in (1, x.ndim - 1):
        raise ValueError(f"bias_add: bias must be 1-D or of rank {x.ndim - 1}; got shape {bias.shape}.")
    first = data_format == "channels_first" and x.ndim >= 3
    channels = x.shape[1] if first else x.shape[-1]
    if bias.shape[-1] != channels:
        raise ValueError(f"bias_add: bias of shape {bias.shape} does not match {channels} channels "
                         f"of x with shape {x.shape} ({data_format}).")
    if first:  # bias is given channels last; move its channel axis to the front
        bias = jnp.moveaxis(bias, -1, 0) if bias.ndim > 1 else bias
        bias = jnp.reshape(bias, bias.shape + (1,) * (x.ndim - 1 - bias.ndim))
    return m.add(x, bias)


# -- convolution and pooling ---------------------------------------------------------

_LAYOUTS = {1: "W", 2: "HW", 3: "DHW"}


def _specs(rank, data_format):
    s = _LAYOUTS[rank]
    io = ("N" + s + "C") if data_format == "channels_last" else ("NC" + s)
    return io, s + "IO", io


def _spatial(x, rank, data_format):
    return x.shape[1:1 + rank] if data_format == "channels_last" else x.shape[2:2 + rank]


def _conv_setup(x, kernel, rank, strides, dilation_rate, data_format):
    data_format = config.normalize_data_format(data_format)
    x, kernel = _float(x, kernel)
    if x.ndim != rank + 2 or kernel.ndim != rank + 2:
        raise ValueError(f"a {rank}-D convolution needs an input and a kernel of rank {rank + 2}; "
                         f"got shapes {x.shape} and {kernel.shape}.")
    strides, dilation = conv_utils.conv_strides_dilation(strides, dilation_rate, rank)
    return x, kernel, strides, dilation, data_format


@shape_errors
def _conv(x, kernel, rank, strides, padding, data_format, dilation_rate, causal_ok=False, groups=None):
    padding = conv_utils.normalize_padding(padding, causal_ok)
    x, kernel, strides, dilation, data_format = _conv_setup(x, kernel, rank, strides, dilation_rate, data_format)
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if groups is None and kernel.shape[-2] != channels:
        raise ValueError(f"the kernel expects {kernel.shape[-2]} input channels; x of shape {x.shape} "
                         f"has {channels} ({data_format}).")
    pads = conv_utils.pad_amounts(_spatial(x, rank, data_format), kernel.shape[:rank], strides, dilation, padding)
    return lax.conv_general_dilated(x, kernel, strides, pads, rhs_dilation=dilation,
                                    dimension_numbers=_specs(rank, data_format),
                                    feature_group_count=groups or 1)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    return _conv(x, kernel, 1, strides, padding, data_format, dilation_rate, causal_ok=True)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    return _conv(x, kernel, 2, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    return _conv(x, kernel, 3, strides, padding, data_format, dilation_rate)


@shape_errors
def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    padding = conv_utils.normalize_padding(padding)
    x, kernel, strides, dilation, data_format = _conv_setup(x, kernel, 2, strides, dilation_rate, data_format)
    last = data_format == "channels_last"
    if kernel.shape[3] != (x.shape[-1] if last else x.shape[1]):
        raise ValueError(f"conv2d_transpose: the kernel (rows, cols, out, in) of shape {kernel.shape} "
                         f"does not match the channels of x with shape {x.shape} ({data_format}).")
    sizes = _spatial(x, 2, data_format)
    spans = conv_utils.extents(kernel.shape[:2], dilation)
    targets = conv_utils.transpose_output_sizes(sizes, kernel.shape[:2], strides, dilation, padding,
                                                output_shape, channels_first=not last)
    # the forward conv2d from `targets` to `sizes` pads (before, after); its
    # input gradient is a stride-1 conv of the stride-dilated x with the flipped
    # kernel, padded by span - 1 - before and span - 1 - after (+ what the
    # forward conv's floor division dropped, so the output has the target size)
    forward = conv_utils.pad_amounts(targets, kernel.shape[:2], strides, dilation, padding)
    pads = []
    for n, s, sp, t, (before, after) in zip(sizes, strides, spans, targets, forward):
        dropped = t + before + after - sp - (n - 1) * s
        pads.append((sp - 1 - before, sp - 1 - after + dropped))
    flipped = jnp.transpose(jnp.flip(kernel, (0, 1)), (0, 1, 3, 2))
    return lax.conv_general_dilated(x, flipped, (1, 1), pads, lhs_dilation=strides, rhs_dilation=dilation,
                                    dimension_numbers=_specs(2, data_format))


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    data_format = config.normalize_data_format(data_format)
    kernel = convert_to_tensor(depthwise_kernel)
    x = convert_to_tensor(x)
    if kernel.ndim != 4 or x.ndim != 4:
        raise ValueError(f"depthwise_conv2d needs a 4-D input and kernel; got shapes {x.shape} and {kernel.shape}.")
    kh, kw, c, mult = kernel.shape
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if c != channels:
        raise ValueError(f"depthwise_conv2d: the kernel expects {c} input channels; x of shape {x.shape} "
                         f"has {channels} ({data_format}).")
    # one group per input channel; output channel c * mult + m comes from kernel[..., c, m]
    kernel = jnp.reshape(kernel, (kh, kw, 1, c * mult))
    return _conv(x, kernel, 2, strides, padding, data_format, dilation_rate, groups=c)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    mid = depthwise_conv2d(x, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv2d(mid, pointwise_kernel, (1, 1), "valid", data_format)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, rank):
    pool_size, strides, padding = conv_utils.pool_args(pool_size, strides, padding, pool_mode, rank)
    data_format = config.normalize_data_format(data_format)
    x = convert_to_tensor(x)
    if x.ndim != rank + 2:
        raise ValueError(f"{rank}-D pooling needs an input of rank {rank + 2}; got shape {x.shape}.")
    sizes = _spatial(x, rank, data_format)
    pads = conv_utils.pad_amounts(sizes, pool_size, strides, (1,) * rank, padding)

    def full(values, fill):
        """Per-spatial-axis values laid out over all axes of x."""
        values = tuple(values)
        return (fill,) + values + (fill,) if data_format == "channels_last" else (fill, fill) + values

    window, step, pairs = full(pool_size, 1), full(strides, 1), full(pads, (0, 0))
    if pool_mode == "max" and _tiles(x, pool_size, strides, pads):
        axes = tuple(i for i, w in enumerate(window) if w > 1)
        return _tiled_max(x, tuple(window[i] for i in axes), axes)
    if pool_mode == "max":
        # padded cells hold the identity of max, so they never win
        if x.dtype == jnp.bool_:
            lowest = False
        else:
            lowest = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else np.iinfo(x.dtype).min
        return lax.reduce_window(x, np.array(lowest, x.dtype), lax.max, window, step, pairs)
    (x,) = _float(x)
    zero = np.array(0, x.dtype)
    total = lax.reduce_window(x, zero, lax.add, window, step, pairs)
    if padding == "valid":
        return total / np.prod(pool_size)
    # average over the real cells only: count them with the same windows
    counts = lax.reduce_window(jnp.ones(full(sizes, 1), x.dtype), zero, lax.add, window, step, pairs)
    return total / counts


_MAX_TILE = 9  # window cells up to which the tiled max pool's backward (one select per cell) pays off


def _tiles(x, pool_size, strides, pads):
    """Whether max pooling is a max over disjoint tiles: windows as strides, no padding, few cells."""
    return (tuple(pool_size) == tuple(strides) and not any(a or b for a, b in pads)
            and 1 < np.prod(pool_size) <= _MAX_TILE and jnp.issubdtype(x.dtype, jnp.floating))


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _tiled_max(x, window, axes):
    """Max pooling over disjoint tiles (windows as strides, no padding) with its own gradient: the
    first maximum of each tile gets it, as in the other engines, through one select per tile cell
    on a reshaped view. reduce_window's own gradient is a select-and-scatter that XLA on CPU turns
    into index arrays and a scatter: slower, and four input-sized temporaries per pooling layer.
    The forward pass stays reduce_window (faster than a max over the reshaped view)."""
    full = [1] * x.ndim
    for a, w in zip(axes, window):
        full[a] = w
    return lax.reduce_window(x, np.array(-np.inf, x.dtype), lax.max, full, full, "VALID")


def _tile_view(x, window, axes):
    """x cropped to whole tiles, each pooled axis split into (tiles, cells)."""
    x = x[tuple(slice(0, x.shape[a] // w * w) for a, w in _per_axis(x, window, axes))]
    shape = []
    for a, w in _per_axis(x, window, axes):
        shape += [x.shape[a] // w, w] if w > 1 else [x.shape[a]]
    return jnp.reshape(x, shape)


def _per_axis(x, window, axes):
    cells = dict(zip(axes, window))
    return [(a, cells.get(a, 1)) for a in range(x.ndim)]


def _tile_axes(axes):
    """Positions of the cell axes in the tile view (each pooled axis adds one before them)."""
    return tuple(a + k + 1 for k, a in enumerate(axes))


def _tiled_max_fwd(x, window, axes):
    y = _tiled_max(x, window, axes)
    return y, (x, y)


def _tiled_max_bwd(window, axes, saved, g):
    x, y = saved
    view, cell_axes = _tile_view(x, window, axes), _tile_axes(axes)
    taken = jnp.zeros(y.shape, jnp.bool_)
    pieces = []
    for cell in itertools.product(*(range(w) for w in window)):  # row-major: the first maximum wins ties
        index = [slice(None)] * view.ndim
        for axis, i in zip(cell_axes, cell):
            index[axis] = i
        hit = (view[tuple(index)] == y) & ~taken
        taken = taken | hit
        pieces.append(jnp.where(hit, g, jnp.zeros((), g.dtype)))
    # reassemble the cells, innermost cell axis first, each inserted where it sits in the view
    for k in reversed(range(len(axes))):
        w = window[k]
        pieces = [jnp.stack(pieces[i:i + w], axis=cell_axes[k] - k) for i in range(0, len(pieces), w)]
    grad = jnp.reshape(pieces[0], [x.shape[a] // w * w for a, w in _per_axis(x, window, axes)])
    pad = [(0, x.shape[a] - grad.shape[a]) for a in range(x.ndim)]
    return (jnp.pad(grad, pad) if any(p for _, p in pad) else grad,)


_tiled_max.defvjp(_tiled_max_fwd, _tiled_max_bwd)


def pool1d(x, pool_size, strides=1, padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 1)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


# -- normalization --------------------------------------------------------------------

def moments(x, axes, keepdims=False):
    (x,) = _float(x)
    axes = m._axis(axes)
    if x.dtype in (jnp.float16, jnp.bfloat16):  # accumulate half precision in float32
        mean, variance = moments(x.astype(jnp.float32), axes, keepdims)
        return mean.astype(x.dtype), variance.astype(x.dtype)
    return jnp.mean(x, axis=axes, keepdims=keepdims), jnp.var(x, axis=axes, keepdims=keepdims)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    x, mean, var, *rest = _float(x, mean, var, *(p for p in (beta, gamma) if p is not None))
    beta = None if beta is None else rest.pop(0)
    gamma = None if gamma is None else rest.pop(0)

    def along_axis(p):
        if p.ndim == 1 and x.ndim > 1:
            shape = [1] * x.ndim
            shape[axis] = -1
            p = jnp.reshape(p, shape)
        return p

    out = (x - along_axis(mean)) * lax.rsqrt(along_axis(var) + jnp.asarray(epsilon, x.dtype))
    if gamma is not None:
        out = out * along_axis(gamma)
    if beta is not None:
        out = out + along_axis(beta)
    return out


# -- losses ----------------------------------------------------------------------------
# Half-precision inputs are computed in float32 (1 - epsilon rounds to 1 in
# float16) and the loss is cast back.

_HALF = (jnp.float16, jnp.bfloat16)


def _wide(*xs):
    return [x.astype(jnp.float32) if x.dtype in _HALF else x for x in xs]


def _clipped(p):
    eps = config.epsilon()
    return jnp.clip(p, eps, 1.0 - eps)


@shape_errors
def binary_crossentropy(target, output, from_logits=False):
    target, output = _float(target, output)
    dt = output.dtype
    t, o = _wide(target, output)
    if from_logits:
        loss = jnp.maximum(o, 0) - o * t + jnp.log1p(jnp.exp(-jnp.abs(o)))
    else:
        p = _clipped(o)
        loss = -(t * jnp.log(p) + (1 - t) * jnp.log1p(-p))
    return loss.astype(dt)


def _log_probs(output, axis, from_logits):
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    return jnp.log(_clipped(output / jnp.sum(output, axis=axis, keepdims=True)))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _float(target, output)
    if target.shape != output.shape:
        raise ValueError(f"categorical_crossentropy: target and output must have the same shape; "
                         f"got {target.shape} and {output.shape}.")
    t, o = _wide(target, output)
    return (-jnp.sum(t * _log_probs(o, axis, from_logits), axis=axis)).astype(output.dtype)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    (output,) = _float(output)
    target = convert_to_tensor(target)
    axis = axis % output.ndim
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, -1)
    expected = output.shape[:axis] + output.shape[axis + 1:]
    if target.shape != expected:
        raise ValueError(f"sparse_categorical_crossentropy: target of shape {target.shape} does not match "
                         f"output of shape {output.shape} without axis {axis} (expected {expected}).")
    index = jnp.expand_dims(cast(target, "int32"), axis)
    (o,) = _wide(output)
    picked = jnp.take_along_axis(_log_probs(o, axis, from_logits), index, axis=axis)
    return (-jnp.squeeze(picked, axis)).astype(output.dtype)
