"""The convolutions behind the layers, composed from kbackend's ops where the
protocol has no direct one: grouped convolutions, 1-D variants of the 2-D
depthwise / separable / transposed ops, and the 3-D transposed convolution.

Sizes here are Python ints known when the layer is called (only the batch size
may be unknown), so the composition is fixed before any engine tracing.
"""

import math

import numpy as np

import kbackend as K

_CONV = {1: K.conv1d, 2: K.conv2d, 3: K.conv3d}


def spatial_axes(rank, data_format):
    first = 1 if data_format == "channels_last" else 2
    return tuple(range(first, first + rank))


def channel_axis(rank, data_format):
    return rank + 1 if data_format == "channels_last" else 1


def _window(x, axis, start, size):
    """x restricted to [start, start + size) along axis."""
    ndim = len(K.int_shape(x))
    starts, sizes = [0] * ndim, [-1] * ndim
    starts[axis], sizes[axis] = start, size
    return K.slice(x, starts, sizes)


def _causal_pad(x, rank, data_format, kernel_size, dilation):
    """Left padding of the step axis by the dilated kernel's span - 1, after which
    a "valid" convolution is causal."""
    pads = [(0, 0)] * (rank + 2)
    pads[spatial_axes(rank, data_format)[0]] = ((kernel_size[0] - 1) * dilation[0], 0)
    return K.pad(x, pads)


# -- plain and grouped convolutions -------------------------------------------------------------------------------

def conv(x, kernel, rank, strides, padding, data_format, dilation_rate, groups=1):
    """kernel (*kernel_size, in_channels // groups, filters); with groups > 1
    each group of input channels feeds its own block of filters (group-major
    output channels, as Keras)."""
    def run(xs, ks):
        return _CONV[rank](xs, ks, strides=strides, padding=padding, data_format=data_format,
                           dilation_rate=dilation_rate)
    if groups == 1:
        return run(x, kernel)
    axis = channel_axis(rank, data_format)
    per_group_in = K.int_shape(kernel)[-2]
    per_group_out = K.int_shape(kernel)[-1] // groups
    outputs = [run(_window(x, axis, g * per_group_in, per_group_in),
                   _window(kernel, rank + 1, g * per_group_out, per_group_out)) for g in range(groups)]
    return K.concatenate(outputs, axis=axis)


# -- depthwise and separable ----------------------------------------------------------------------------------------

def _lift(x, data_format):
    """A 1-D input as a 2-D one with a unit first spatial axis."""
    return K.expand_dims(x, 1 if data_format == "channels_last" else 2)


def _drop(y, data_format):
    return K.squeeze(y, 1 if data_format == "channels_last" else 2)


def depthwise_conv(x, kernel, rank, strides, padding, data_format, dilation_rate):
    """kernel (*kernel_size, in_channels, depth_multiplier); rank 1 or 2."""
    if padding == "causal":
        x, padding = _causal_pad(x, rank, data_format, K.int_shape(kernel), dilation_rate), "valid"
    if rank == 2:
        return K.depthwise_conv2d(x, kernel, strides, padding, data_format, dilation_rate)
    y = K.depthwise_conv2d(_lift(x, data_format), K.expand_dims(kernel, 0), (1,) + tuple(strides), padding,
                           data_format, (1,) + tuple(dilation_rate))
    return _drop(y, data_format)


def separable_conv(x, depthwise_kernel, pointwise_kernel, rank, strides, padding, data_format, dilation_rate):
    """depthwise_kernel (*kernel_size, in, multiplier), pointwise_kernel
    (1, ..., in * multiplier, filters); rank 1 or 2."""
    if padding == "causal":
        x, padding = _causal_pad(x, rank, data_format, K.int_shape(depthwise_kernel), dilation_rate), "valid"
    if rank == 2:
        return K.separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
                                  dilation_rate)
    y = K.separable_conv2d(_lift(x, data_format), K.expand_dims(depthwise_kernel, 0),
                           K.expand_dims(pointwise_kernel, 0), (1,) + tuple(strides), padding, data_format,
                           (1,) + tuple(dilation_rate))
    return _drop(y, data_format)


# -- transposed convolutions ----------------------------------------------------------------------------------------

def transpose_window(size, kernel_size, stride, dilation, padding, output_padding):
    """Keras's transposed-convolution output along one axis as (start, length):
    the window [start, start + length) of the full transposed convolution
    (input i and tap k land on i * stride + k * dilation), read as zeros past
    its end. length is Keras's deconv output length; size None gives length None."""
    span = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return 0, None if size is None else (size - 1) * stride + span + extra
    # "same": the full output less `total` positions, `before` of them at the start
    # (at most span - 1: past that the window starts inside the data)
    total = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
    before = min(total - total // 2, span - 1)
    length = None if size is None else (size - 1) * stride + total - span + 2
    return span - 1 - before, length


def conv_transpose(x, kernel, rank, strides, padding, output_padding, data_format, dilation_rate):
    """kernel (*kernel_size, filters, in_channels); output sizes as Keras."""
    axes = spatial_axes(rank, data_format)
    shape = K.int_shape(x)
    kernel_size = K.int_shape(kernel)[:rank]
    pads = (None,) * rank if output_padding is None else output_padding
    windows = [transpose_window(shape[a], k, s, d, padding, p)
               for a, k, s, d, p in zip(axes, kernel_size, strides, dilation_rate, pads)]
    if rank == 3:
        return _conv_transpose_as_conv(x, kernel, axes, strides, data_format, dilation_rate, windows)
    if rank == 1:
        y = _conv2d_transpose_window(_lift(x, data_format), K.expand_dims(kernel, 0), (1,) + tuple(strides),
                                     data_format, (1,) + tuple(dilation_rate), [(0, 1)] + windows)
        return _drop(y, data_format)
    return _conv2d_transpose_window(x, kernel, strides, data_format, dilation_rate, windows)


def _conv2d_transpose_window(x, kernel, strides, data_format, dilation, windows):
    """The windows of K.conv2d_transpose's full ("valid") output; a window may
    reach past the full output by less than a stride, which output_shape covers."""
    axes = spatial_axes(2, data_format)
    shape, kshape = K.int_shape(x), K.int_shape(kernel)
    full = [(shape[a] - 1) * s + (k - 1) * d + 1 for a, k, s, d in zip(axes, kshape, strides, dilation)]
    computed = [max(f, start + length) for f, (start, length) in zip(full, windows)]
    output_shape = None
    if computed != full:
        channels = [kshape[2]]
        output_shape = [None] + (computed + channels if data_format == "channels_last" else channels + computed)
    y = K.conv2d_transpose(x, kernel, output_shape, strides, "valid", data_format, dilation)
    for axis, have, (start, length) in zip(axes, computed, windows):
        if (start, length) != (0, have):
            y = _window(y, axis, start, length)
    return y


def _conv_transpose_as_conv(x, kernel, axes, strides, data_format, dilation, windows):
    """The transposed convolution as a stride-1 convolution of the input spread
    out by the strides (zeros between entries) and padded, with the kernel
    flipped and its channel axes swapped."""
    rank = len(axes)
    for axis, s in zip(axes, strides):
        if s > 1:  # entry i moves to i * s: stack zeros after each entry, merge the two axes
            x = K.stack([x] + [K.zeros_like(x)] * (s - 1), axis=axis + 1)
            shape = K.int_shape(x)
            x = K.reshape(x, (-1,) + shape[1:axis] + (shape[axis] * s,) + shape[axis + 2:])
    kshape = K.int_shape(kernel)
    spans = [(k - 1) * d + 1 for k, d in zip(kshape[:rank], dilation)]
    # output position j reads full position j + start, so the spread input needs
    # span - 1 - start zeros before it and must hold length + span - 1 positions
    pads = [(0, 0)] * (rank + 2)
    for axis, span, (start, length) in zip(axes, spans, windows):
        before = span - 1 - start
        pads[axis] = (before, max(length + span - 1 - before - K.int_shape(x)[axis], 0))
    x = K.pad(x, pads)
    for axis, span, (_, length) in zip(axes, spans, windows):
        if K.int_shape(x)[axis] != length + span - 1:
            x = _window(x, axis, 0, length + span - 1)
    taps = math.prod(kshape[:rank])
    # reversing the flattened taps reverses every spatial axis at once
    flipped = K.reshape(K.gather(K.reshape(kernel, (taps,) + kshape[rank:]), np.arange(taps - 1, -1, -1)), kshape)
    flipped = K.permute_dimensions(flipped, tuple(range(rank)) + (rank + 1, rank))
    return _CONV[rank](x, flipped, strides=(1,) * rank, padding="valid", data_format=data_format,
                       dilation_rate=dilation)
