"""Activations, convolutions, pooling, normalization and losses of the PyTorch engine.

torch convolves channels-first tensors with (out, in, *kernel) weights: inputs
in channels_last are permuted to channels-first and back, and Keras kernels
((*kernel, in, out)) are permuted to torch's layout. "same" padding follows
TensorFlow (the smaller half before), so it is applied explicitly, with F.pad
when the two sides differ.
"""

import builtins

import torch
import torch.nn.functional as F

from kbackend import config, conv_utils, dtypes, protocol

from .core import _NAMES, _TORCH, convert_to_tensor, wrap_errors
from .math import _float, _operands
from .random import random_uniform
from .recurrent import gru, lstm  # noqa: F401  (the fused recurrent layers, in group nn)

_t = convert_to_tensor


# -- activations --------------------------------------------------------------

def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    x = _t(x)
    if not alpha and max_value is None and not threshold:
        return torch.relu(x)
    kept = x if max_value is None else torch.clamp(x, max=max_value)
    below = (x - threshold) * alpha if alpha else torch.zeros_like(x)
    return torch.where(x >= threshold, kept, below)


def elu(x, alpha=1.0):
    return F.elu(_float(x), alpha)


def selu(x):
    return F.selu(_float(x))


def gelu(x, approximate=False):
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(_float(x))


def softplus(x):
    x = _float(x)
    return torch.logaddexp(x, torch.zeros((), dtype=x.dtype, device=x.device))


def softsign(x):
    return F.softsign(_float(x))


def sigmoid(x):
    return torch.sigmoid(_float(x))


def hard_sigmoid(x):
    return torch.clamp(0.2 * _float(x) + 0.5, 0.0, 1.0)


def _axes(axis):
    return (axis,) if isinstance(axis, int) else tuple(axis)


def softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, int):
        return torch.softmax(x, dim=axis)
    return torch.exp(x - torch.logsumexp(x, dim=_axes(axis), keepdim=True))


def log_softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, int):
        return torch.log_softmax(x, dim=axis)
    return x - torch.logsumexp(x, dim=_axes(axis), keepdim=True)


def dropout(x, level, noise_shape=None, seed=None):
    x = _t(x)
    if not 0 <= level < 1:
        raise ValueError(f"dropout: level must be in [0, 1); got {level}.")
    shape = tuple(x.shape) if noise_shape is None else tuple(
        d if d is not None else x.shape[i] for i, d in enumerate(noise_shape))
    keep = random_uniform(shape, dtype=_NAMES[x.dtype] if x.dtype.is_floating_point else None,
                          seed=seed) >= level
    return torch.where(keep, x / (1 - level), torch.zeros((), dtype=x.dtype, device=x.device))


def bias_add(x, bias, data_format=None):
    x, bias, d = _operands(x, bias, scalars=False)
    data_format = config.normalize_data_format(data_format)
    channels_first = data_format == "channels_first" and x.dim() >= 3
    channels = x.shape[1] if channels_first else x.shape[-1]
    if bias.dim() == 1:
        if bias.shape[0] != channels:
            raise ValueError(f"bias_add: the bias has {bias.shape[0]} entries but x has {channels} channels.")
        if channels_first:
            bias = bias.reshape((-1,) + (1,) * (x.dim() - 2))
    elif bias.dim() == x.dim() - 1:
        if channels_first:  # a full bias is given channels-last, as in Keras 2
            bias = torch.movedim(bias, -1, 0)
        if tuple(bias.shape) != tuple(x.shape[1:]):
            raise ValueError(f"bias_add: bias shape {tuple(bias.shape)} does not match x shape {tuple(x.shape)}.")
    else:
        raise ValueError(f"bias_add: the bias must have rank 1 or {x.dim() - 1}; got rank {bias.dim()}.")
    return x + bias


# -- convolution helpers ------------------------------------------------------

def _prepare(x, rank, data_format, strides, dilation_rate):
    """x as a float channels-first tensor, plus normalized options."""
    data_format = config.normalize_data_format(data_format)
    x = _float(x)
    if x.dim() != rank + 2:
        raise ValueError(f"expected an input of rank {rank + 2} (batch, spatial..., channels); "
                         f"got shape {tuple(x.shape)}.")
    if data_format == "channels_last":
        x = torch.movedim(x, -1, 1)
    strides, dilation = conv_utils.conv_strides_dilation(strides, dilation_rate, rank)
    return x, data_format, strides, dilation


def _finish(y, data_format):
    return torch.movedim(y, 1, -1) if data_format == "channels_last" else y


def _padded(x, pads, value=0.0):
    """x padded spatially; returns (x, symmetric pad per axis or None)."""
    if builtins.all(b == a for b, a in pads):
        return x, tuple(b for b, _ in pads)
    flat = [w for pair in reversed(pads) for w in pair]  # F.pad lists the last axis first
    return F.pad(x, flat, value=value), (0,) * len(pads)


def _same_dtype(x, kernel):
    kernel = _t(kernel)
    d = dtypes.float_result(dtypes.result_type(_NAMES[x.dtype], _NAMES[kernel.dtype]))
    return x.to(_TORCH[d]), kernel.to(_TORCH[d])


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _conv(x, kernel, rank, strides, padding, data_format, dilation_rate, depthwise=False):
    padding = conv_utils.normalize_padding(padding, allow_causal=rank == 1)
    x, data_format, strides, dilation = _prepare(x, rank, data_format, strides, dilation_rate)
    x, kernel = _same_dtype(x, kernel)
    if kernel.dim() != rank + 2:
        raise ValueError(f"expected a kernel of rank {rank + 2}; got shape {tuple(kernel.shape)}.")
    in_channels = x.shape[1]
    if depthwise:
        if kernel.shape[-2] != in_channels:
            raise ValueError(f"the depthwise kernel expects {kernel.shape[-2]} input channels; x has {in_channels}.")
        # (*k, in, mult) -> (in * mult, 1, *k): torch's grouped conv orders outputs c * mult + m
        kernel = kernel.reshape(tuple(kernel.shape[:rank]) + (1, -1))
        groups = in_channels
    else:
        if kernel.shape[-2] == 0 or in_channels % kernel.shape[-2]:
            raise ValueError(f"the kernel expects {kernel.shape[-2]} input channels (or a divisor of them); "
                             f"x has {in_channels}.")
        groups = in_channels // kernel.shape[-2]
    weight = kernel.permute((rank + 1, rank) + tuple(range(rank)))
    size = weight.shape[2:]
    x, pads = _padded(x, conv_utils.pad_amounts(x.shape[2:], size, strides, dilation, padding))
    y = _CONV[rank](x, weight, stride=strides, padding=pads, dilation=dilation, groups=groups)
    return _finish(y, data_format)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    return _conv(x, kernel, 1, strides, padding, data_format, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    return _conv(x, kernel, 2, strides, padding, data_format, dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    return _conv(x, kernel, 3, strides, padding, data_format, dilation_rate)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    return _conv(x, depthwise_kernel, 2, strides, padding, data_format, dilation_rate, depthwise=True)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    y = depthwise_conv2d(x, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv2d(y, pointwise_kernel, (1, 1), "valid", data_format)


def conv2d_transpose(x, kernel, output_shape=None, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    padding = conv_utils.normalize_padding(padding)
    x, data_format, strides, dilation = _prepare(x, 2, data_format, strides, dilation_rate)
    x, kernel = _same_dtype(x, kernel)
    if kernel.dim() != 4 or kernel.shape[3] != x.shape[1]:
        raise ValueError(f"conv2d_transpose: the kernel (rows, cols, out, in) has shape {tuple(kernel.shape)} "
                         f"but x has {x.shape[1]} channels.")
    size = kernel.shape[:2]
    sizes_out = conv_utils.transpose_output_sizes(x.shape[2:], size, strides, dilation, padding, output_shape,
                                                  channels_first=data_format == "channels_first")
    # the full transposed convolution, then the window the forward conv saw:
    # drop its "before" padding, and zero-fill rows it never reached
    weight = kernel.permute(3, 2, 0, 1)  # (in, out, rows, cols)
    full = F.conv_transpose2d(x, weight, stride=strides, dilation=dilation)
    pads = conv_utils.pad_amounts(sizes_out, size, strides, dilation, padding)
    y = full[:, :, pads[0][0]:pads[0][0] + sizes_out[0], pads[1][0]:pads[1][0] + sizes_out[1]]
    missing = [n - have for n, have in zip(sizes_out, y.shape[2:])]
    if builtins.any(missing):
        y = F.pad(y, (0, missing[1], 0, missing[0]))
    return _finish(y, data_format)


# -- pooling ------------------------------------------------------------------

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _pool(x, rank, pool_size, strides, padding, data_format, pool_mode):
    size, strides, padding = conv_utils.pool_args(pool_size, strides, padding, pool_mode, rank)
    x, data_format, strides, _ = _prepare(x, rank, data_format, strides, 1)
    pads = conv_utils.pad_amounts(x.shape[2:], size, strides, (1,) * rank, padding)
    padded = builtins.any(b or a for b, a in pads)
    flat = [w for pair in reversed(pads) for w in pair]
    if pool_mode == "max":
        if padded:
            x = F.pad(x, flat, value=float("-inf"))
        y = _MAX_POOL[rank](x, size, strides)
    elif not padded:
        y = _AVG_POOL[rank](x, size, strides)
    else:
        # average over real cells only: pooled zero-padded x / pooled zero-padded ones
        ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        y = _AVG_POOL[rank](F.pad(x, flat), size, strides) / _AVG_POOL[rank](F.pad(ones, flat), size, strides)
    return _finish(y, data_format)


def pool1d(x, pool_size, strides=1, padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, 1, pool_size, strides, padding, data_format, pool_mode)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, 2, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, 3, pool_size, strides, padding, data_format, pool_mode)


# -- normalization --------------------------------------------------------------

def moments(x, axes, keepdims=False):
    x = _float(x)
    dims = (axes,) if isinstance(axes, int) else tuple(axes)
    variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=keepdims)
    return mean, variance


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    x = _float(x)
    params = [None if p is None else _t(p) for p in (mean, var, beta, gamma)]
    d = dtypes.float_result(dtypes.result_type(_NAMES[x.dtype], *[_NAMES[p.dtype] for p in params if p is not None]))
    x = x.to(_TORCH[d])
    shape = [1] * x.dim()
    shape[axis] = -1

    def along_axis(p):  # a per-channel vector broadcasts along `axis`
        p = p.to(_TORCH[d])
        return p.reshape(shape) if p.dim() == 1 and x.dim() > 1 else p

    mean, var, beta, gamma = (None if p is None else along_axis(p) for p in params)
    scale = torch.rsqrt(var + epsilon)
    if gamma is not None:
        scale = scale * gamma
    y = (x - mean) * scale
    return y if beta is None else y + beta


# -- losses -------------------------------------------------------------------

def _target_output(target, output):
    target, output, d = _operands(target, output, scalars=False)
    d = _TORCH[dtypes.float_result(d)]
    return target.to(d), output.to(d)


def binary_crossentropy(target, output, from_logits=False):
    target, output = _target_output(target, output)
    if from_logits:
        return torch.clamp_min(output, 0) - output * target + torch.log1p(torch.exp(-torch.abs(output)))
    eps = config.epsilon()
    p = torch.clamp(output, eps, 1 - eps)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _target_output(target, output)
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"categorical_crossentropy: target shape {tuple(target.shape)} and output shape "
                         f"{tuple(output.shape)} differ.")
    return -torch.sum(target * _log_probs(output, from_logits, axis), dim=axis)


def _log_probs(output, from_logits, axis):
    if from_logits:
        return torch.log_softmax(output, dim=axis)
    eps = config.epsilon()
    output = output / torch.sum(output, dim=axis, keepdim=True)
    return torch.log(torch.clamp(output, eps, 1 - eps))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = _float(output)
    target = _t(target)
    if target.dim() == output.dim() and target.shape[-1] == 1:
        target = target.squeeze(-1)
    log_p = torch.movedim(_log_probs(output, from_logits, axis), axis, -1)
    if tuple(target.shape) != tuple(log_p.shape[:-1]):
        raise ValueError(f"sparse_categorical_crossentropy: target shape {tuple(target.shape)} does not match "
                         f"output shape {tuple(output.shape)} without axis {axis}.")
    return -torch.gather(log_p, -1, target.long().unsqueeze(-1)).squeeze(-1)


wrap_errors(globals(), protocol.names("nn"))
