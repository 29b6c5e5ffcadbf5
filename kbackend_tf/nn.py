"""Neural-network ops of the TensorFlow engine.

TF's CPU convolutions and pooling only run channels_last, so channels_first
inputs are transposed in and out. A few CPU gaps are worked around: transposed
convolutions cannot dilate (the kernel is dilated instead), depthwise
convolutions need equal strides, and 3-D pooling has no float64 kernel.
"""

import builtins
import math

from kbackend import config, conv_utils

from .core import convert_to_tensor, shape, tf, translate_errors
from .math import as_float, logsumexp, promote
from .math import mean as _mean, var as _var
from .random import random_uniform
from .recurrent import gru, lstm  # noqa: F401  (the fused recurrent layers, in group nn)

# -- activations ----------------------------------------------------------------


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    x = convert_to_tensor(x)
    if alpha == 0 and max_value is None and threshold == 0:
        return tf.nn.relu(x)
    threshold = convert_to_tensor(threshold, x.dtype)
    above = x if max_value is None else tf.minimum(x, convert_to_tensor(max_value, x.dtype))
    return tf.where(x >= threshold, above, convert_to_tensor(alpha, x.dtype) * (x - threshold))


def elu(x, alpha=1.0):
    x = as_float(x)
    # expm1 of min(x, 0): the branch not taken must not overflow into the gradient
    return tf.where(x > 0, x, convert_to_tensor(alpha, x.dtype) * tf.math.expm1(tf.minimum(x, 0)))


def selu(x):
    return tf.nn.selu(as_float(x))


def gelu(x, approximate=False):
    # written out: tf.nn.gelu's constants are float32, inexact in float64
    x = as_float(x)
    if approximate:
        return 0.5 * x * (1 + tf.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + tf.math.erf(x / math.sqrt(2)))


def silu(x):
    return tf.nn.silu(as_float(x))


def softplus(x):
    return tf.nn.softplus(as_float(x))


def softsign(x):
    return tf.nn.softsign(as_float(x))


def sigmoid(x):
    return tf.nn.sigmoid(as_float(x))


def hard_sigmoid(x):
    return tf.clip_by_value(0.2 * as_float(x) + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    x = as_float(x)
    if isinstance(axis, int):
        return tf.nn.softmax(x, axis=axis)
    return tf.exp(x - logsumexp(x, axis=axis, keepdims=True))  # several axes at once


def log_softmax(x, axis=-1):
    x = as_float(x)
    if isinstance(axis, int):
        return tf.nn.log_softmax(x, axis=axis)
    return x - logsumexp(x, axis=axis, keepdims=True)


def dropout(x, level, noise_shape=None, seed=None):
    x = as_float(x)
    if isinstance(level, (int, float)) and not 0 <= level < 1:
        raise ValueError(f"dropout level must be in [0, 1); got {level}.")
    full = shape(x)
    if noise_shape is None:
        noise_shape = full
    else:  # None entries of noise_shape take the size of x there
        noise_shape = tuple(full[i] if d is None else d for i, d in enumerate(noise_shape))
    keep = random_uniform(noise_shape, dtype=x.dtype.name, seed=seed) >= level
    # a product, not tf.where: cheaper forward and backward outside XLA
    return x * (tf.cast(keep, x.dtype) * (1 / (1 - level)))


def bias_add(x, bias, data_format=None):
    data_format = config.normalize_data_format(data_format)
    x, bias = promote(x, bias)
    rank, bias_rank = x.shape.rank, bias.shape.rank
    if bias_rank not in (1, rank - 1):
        raise ValueError(f"bias_add: the bias must have rank 1 or {rank - 1}; got shape {bias.shape}.")
    channels_first = data_format == "channels_first" and rank >= 3
    channels = x.shape[1] if channels_first else x.shape[-1]
    if channels is not None and bias.shape[-1] is not None and channels != bias.shape[-1]:
        raise ValueError(f"bias_add: the bias has {bias.shape[-1]} entries for {channels} channels.")
    if channels_first:  # the bias's channels (its last axis) go to axis 1
        bias = tf.transpose(bias, [bias_rank - 1] + list(range(bias_rank - 1)))
        bias = tf.reshape(bias, shape(bias) + (1,) * (rank - 1 - bias_rank))
    return x + bias


# -- convolutions ---------------------------------------------------------------

_TF_FORMAT = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _to_channels_last(x):
    n = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, n)) + [1])


def _to_channels_first(x):
    n = x.shape.rank
    return tf.transpose(x, [0, n - 1] + list(range(1, n - 1)))


def _prepare(rank, x, kernels, strides, padding, data_format, dilation_rate, causal=False):
    """Checked options and channels_last operands of one dtype for a convolution."""
    first = config.normalize_data_format(data_format) == "channels_first"
    padding = conv_utils.normalize_padding(padding, allow_causal=causal)
    strides, dilations = conv_utils.conv_strides_dilation(strides, dilation_rate, rank)
    x, *kernels = promote(x, *kernels)
    if x.shape.rank != rank + 2 or kernels[0].shape.rank != rank + 2:
        raise ValueError(f"A {rank}-D convolution needs an input and a kernel of rank {rank + 2}; "
                         f"got shapes {x.shape} and {kernels[0].shape}.")
    return (_to_channels_last(x) if first else x), kernels, strides, dilations, padding, first


def _conv(rank, x, kernel, strides, padding, data_format, dilation_rate):
    x, (kernel,), strides, dilations, padding, first = _prepare(
        rank, x, [kernel], strides, padding, data_format, dilation_rate, causal=rank == 1)
    if padding == "causal":
        left = (kernel.shape[0] - 1) * dilations[0]
        x, padding = tf.pad(x, [[0, 0], [left, 0], [0, 0]]), "valid"
    # data_format given explicitly: TF's Conv3D gradient needs it set
    y = tf.nn.convolution(x, kernel, strides=strides, padding=padding.upper(), dilations=dilations,
                          data_format=_TF_FORMAT[rank])
    return _to_channels_first(y) if first else y


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    return _conv(1, x, kernel, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    return _conv(2, x, kernel, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    return _conv(3, x, kernel, strides, padding, data_format, dilation_rate)


def _dilate(kernel, dilations):
    """The kernel with dilation - 1 zeros between its taps along each spatial axis."""
    for axis, d in enumerate(dilations):
        if d == 1:
            continue
        taps = kernel.shape[axis]
        pads = [[0, 0]] * (kernel.shape.rank + 1)
        pads[axis + 1] = [0, d - 1]
        spread = tf.pad(tf.expand_dims(kernel, axis + 1), pads)  # each tap followed by zeros
        dims = kernel.shape.as_list()
        spread = tf.reshape(spread, dims[:axis] + [taps * d] + dims[axis + 1:])
        kernel = spread[(builtins.slice(None),) * axis + (builtins.slice(0, (taps - 1) * d + 1),)]
    return kernel


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    x, (kernel,), strides, dilations, padding, first = _prepare(
        2, x, [kernel], strides, padding, data_format, dilation_rate)
    dims = shape(x)
    if output_shape is None:
        spatial = conv_utils.transpose_output_sizes(dims[1:3], kernel.shape[:2], strides, dilations, padding)
        output_shape = (dims[0], *spatial, kernel.shape[2])
    else:
        output_shape = list(output_shape)
        if first:
            output_shape = [output_shape[0]] + output_shape[2:] + [output_shape[1]]
        if all(isinstance(d, int) for d in list(dims[1:3]) + output_shape[1:3]):
            conv_utils.transpose_output_sizes(dims[1:3], kernel.shape[:2], strides, dilations, padding,
                                              output_shape)  # TF's own error would be an AbortedError
        if output_shape[0] is None:
            output_shape[0] = dims[0]
    kernel = _dilate(kernel, dilations)  # TF's CPU transposed convolution cannot dilate
    y = tf.nn.conv2d_transpose(x, kernel, output_shape, strides=strides, padding=padding.upper(),
                               data_format="NHWC")
    return _to_channels_first(y) if first else y


def _depthwise(x, kernel, strides, padding, dilations):
    if strides[0] == strides[1]:
        return tf.nn.depthwise_conv2d(x, kernel, (1, *strides, 1), padding.upper(),
                                      dilations=dilations, data_format="NHWC")
    # TF needs equal strides: convolve at stride 1 on TF's "same" padding, then subsample
    # (unequal strides imply no dilation)
    if padding == "same":
        dims = shape(x)
        pads = [[0, 0]]
        for n, s, k in zip(dims[1:3], strides, kernel.shape[:2]):
            total = tf.maximum((-(-n // s) - 1) * s + k - n, 0)
            pads.append([total // 2, total - total // 2])
        x = tf.pad(x, pads + [[0, 0]])
    y = tf.nn.depthwise_conv2d(x, kernel, (1, 1, 1, 1), "VALID", data_format="NHWC")
    return y[:, ::strides[0], ::strides[1]]


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    x, (kernel,), strides, dilations, padding, first = _prepare(
        2, x, [depthwise_kernel], strides, padding, data_format, dilation_rate)
    y = _depthwise(x, kernel, strides, padding, dilations)
    return _to_channels_first(y) if first else y


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    x, (kernel, pointwise), strides, dilations, padding, first = _prepare(
        2, x, [depthwise_kernel, pointwise_kernel], strides, padding, data_format, dilation_rate)
    y = _depthwise(x, kernel, strides, padding, dilations)
    y = tf.nn.convolution(y, pointwise, padding="VALID", data_format="NHWC")
    return _to_channels_first(y) if first else y


# -- pooling --------------------------------------------------------------------

def _pool(rank, x, pool_size, strides, padding, data_format, pool_mode):
    pool_size, strides, padding = conv_utils.pool_args(pool_size, strides, padding, pool_mode, rank)
    padding = padding.upper()
    first = config.normalize_data_format(data_format) == "channels_first"
    x = as_float(x) if pool_mode == "avg" else convert_to_tensor(x)
    if x.shape.rank != rank + 2:
        raise ValueError(f"{rank}-D pooling needs an input of rank {rank + 2}; got shape {x.shape}.")
    x = _to_channels_last(x) if first else x
    mode = pool_mode.upper()
    if rank == 3 and x.dtype == tf.float64:
        y = _pool3d_separable(x, pool_size, strides, padding, mode)
    else:
        y = tf.nn.pool(x, pool_size, mode, strides=strides, padding=padding, data_format=_TF_FORMAT[rank])
    return _to_channels_first(y) if first else y


def _pool3d_separable(x, pool_size, strides, padding, mode):
    """3-D pooling as 2-D pooling over the first two axes, then 1-D pooling over
    the third: TF has no float64 3-D pooling. Max and padding-excluding averages
    both factor this way (the count of a window is the product of its axes')."""
    b, d1, d2, d3, c = shape(x)
    y = tf.reshape(tf.transpose(x, [0, 3, 1, 2, 4]), (-1, d1, d2, c))
    y = tf.nn.pool(y, pool_size[:2], mode, strides=strides[:2], padding=padding, data_format="NHWC")
    _, o1, o2, _ = shape(y)
    y = tf.transpose(tf.reshape(y, (b, d3, o1, o2, c)), [0, 2, 3, 1, 4])
    y = tf.nn.pool(tf.reshape(y, (-1, d3, c)), pool_size[2:], mode, strides=strides[2:], padding=padding,
                   data_format="NWC")
    return tf.reshape(y, (b, o1, o2, -1, c))


def pool1d(x, pool_size, strides=1, padding="valid", data_format=None, pool_mode="max"):
    return _pool(1, x, pool_size, strides, padding, data_format, pool_mode)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(2, x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(3, x, pool_size, strides, padding, data_format, pool_mode)


# -- normalization --------------------------------------------------------------

def moments(x, axes, keepdims=False):
    return _mean(x, axis=axes, keepdims=keepdims), _var(x, axis=axes, keepdims=keepdims)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    given = [p for p in (mean, var, beta, gamma) if p is not None]
    x, *params = promote(x, *given)
    rank = x.shape.rank
    aligned = [1] * rank  # a 1-D parameter lies along `axis`
    aligned[axis] = -1

    def along_axis(p):
        return tf.reshape(p, aligned) if p.shape.rank == 1 and rank > 1 else p

    params = iter([along_axis(p) for p in params])
    mean, var = next(params), next(params)
    beta = None if beta is None else next(params)
    gamma = None if gamma is None else next(params)
    scale = tf.math.rsqrt(var + epsilon)
    if gamma is not None:
        scale = scale * gamma
    out = (x - mean) * scale
    return out if beta is None else out + beta


# -- losses ---------------------------------------------------------------------

def _loss_operands(target, output):
    target, output = promote(target, output)
    target, output = as_float(target), as_float(output)
    if not target.shape.is_compatible_with(output.shape):
        raise ValueError(f"target and output must have the same shape; got {target.shape} and {output.shape}.")
    return target, output


def binary_crossentropy(target, output, from_logits=False):
    target, output = _loss_operands(target, output)
    if from_logits:
        return tf.maximum(output, 0) - output * target + tf.math.log1p(tf.exp(-tf.abs(output)))
    eps = config.epsilon()
    p = tf.clip_by_value(output, eps, 1 - eps)
    return -(target * tf.math.log(p) + (1 - target) * tf.math.log(1 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _loss_operands(target, output)
    if from_logits:
        return -tf.reduce_sum(target * tf.nn.log_softmax(output, axis=axis), axis=axis)
    eps = config.epsilon()
    p = tf.clip_by_value(output / tf.reduce_sum(output, axis=axis, keepdims=True), eps, 1 - eps)
    return -tf.reduce_sum(target * tf.math.log(p), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output, target = as_float(output), convert_to_tensor(target)
    rank = output.shape.rank
    axis = axis % rank
    if target.shape.rank == rank and target.shape[-1] == 1:
        target = tf.squeeze(target, -1)
    expected = output.shape[:axis].concatenate(output.shape[axis + 1:])
    if not target.shape.is_compatible_with(expected):
        raise ValueError(f"sparse targets must have shape {expected} (the output's {output.shape} without "
                         f"axis {axis}); got {target.shape}.")
    one_hot = tf.one_hot(tf.cast(target, tf.int32), shape(output)[axis], axis=axis, dtype=output.dtype)
    return categorical_crossentropy(one_hot, output, from_logits=from_logits, axis=axis)


translate_errors(globals(), "nn")
