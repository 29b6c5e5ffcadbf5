"""Raw-array machinery behind the numpy engine's convolutions and pooling.

Everything here works on plain ndarrays in channels_last layout
(batch, *spatial, channels) and knows nothing of the tape; nn.py wraps it into
differentiable ops. A convolution is im2col (a strided window view copied
once into a 2-D matrix) followed by one BLAS matmul; the way back (col2im)
adds the columns into place with one vectorized slice-add per kernel position.
"""

import math as _pymath

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kbackend.conv_utils import extents, output_sizes


def out_sizes(padded, kernel, strides, dilation):
    """The output sizes of windows over an already padded input, which must fit."""
    sizes = output_sizes(padded, kernel, strides, dilation, "valid")
    if min(sizes) < 1:
        raise ValueError(f"The window {tuple(kernel)} (dilation {tuple(dilation)}) does not fit in the "
                         f"input of spatial size {tuple(padded)}.")
    return sizes


def pad(x, pads, value=0):
    """x with pads[i] added around spatial axis i+1 (x itself when none)."""
    if not any(b or a for b, a in pads):
        return x
    shape = (x.shape[0],) + tuple(n + b + a for n, (b, a) in zip(x.shape[1:-1], pads)) + (x.shape[-1],)
    out = np.full(shape, value, x.dtype)
    out[interior(x.shape, pads)] = x
    return out


def interior(shape, pads):
    """The index of the unpadded region inside a padded array."""
    return (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(shape[1:-1], pads)) + (slice(None),)


def window_slice(offset, strides, dilation, out):
    """The index of the cells that kernel position `offset` sees, for every output position."""
    return (slice(None),) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                                  for o, s, d, n in zip(offset, strides, dilation, out)) + (slice(None),)


def windows(xp, kernel, strides, dilation):
    """View (batch, *out, *kernel, channels) of the windows of padded xp (no copy)."""
    nd = len(kernel)
    view = sliding_window_view(xp, extents(kernel, dilation), axis=tuple(range(1, nd + 1)))
    view = view[(slice(None),) + tuple(slice(None, None, s) for s in strides) + (slice(None),)
                + tuple(slice(None, None, d) for d in dilation)]
    # sliding_window_view puts channels before the window axes; channels last keeps copies contiguous
    return view.transpose((0,) + tuple(range(1, nd + 1)) + tuple(range(nd + 2, 2 * nd + 2)) + (nd + 1,))


def im2col(xp, kernel, strides, dilation):
    """(columns (batch * prod(out), prod(kernel) * channels), out sizes)."""
    view = windows(xp, kernel, strides, dilation)
    out = view.shape[1:1 + len(kernel)]
    return view.reshape(-1, _pymath.prod(kernel) * xp.shape[-1]), out


def col2im(cols, padded_shape, kernel, strides, dilation, out):
    """The transpose of im2col: cols (batch, *out, *kernel, channels) summed into
    an array of padded_shape."""
    nd = len(kernel)
    dx = np.zeros(padded_shape, cols.dtype)
    for offset in np.ndindex(*kernel):
        dx[window_slice(offset, strides, dilation, out)] += cols[(slice(None),) * (nd + 1) + offset]
    return dx


def conv(xp, w, strides, dilation):
    """Forward convolution of padded xp with kernel w (*kernel, in, out): (y, cols)."""
    kernel = w.shape[:-2]
    cols, out = im2col(xp, kernel, strides, dilation)
    y = np.matmul(cols, w.reshape(-1, w.shape[-1]))
    return y.reshape((xp.shape[0],) + tuple(out) + (w.shape[-1],)), cols


def conv_input_grad(g, w, padded_shape, strides, dilation):
    """The gradient of conv with respect to its padded input, for output gradient g."""
    kernel = w.shape[:-2]
    out = g.shape[1:-1]
    dcols = np.matmul(g.reshape(-1, g.shape[-1]), w.reshape(-1, w.shape[-1]).T)
    dcols = dcols.reshape(g.shape[:-1] + tuple(kernel) + (w.shape[-2],))
    return col2im(dcols, padded_shape, kernel, strides, dilation, out)


def conv_kernel_grad(cols, g, w_shape):
    """The gradient of conv with respect to the kernel: cols^T @ g."""
    return np.matmul(cols.T, g.reshape(-1, g.shape[-1])).reshape(w_shape)


def pool(xp, pool_size, strides, out, mode):
    """Max or sum of each window of padded xp: one vectorized maximum/add per
    window position. (Reshaping to (out, pool) axes and reducing them, even
    when stride == pool, is several times slower: numpy reduces over strided
    axes element by element.)"""
    reduce = np.maximum if mode == "max" else np.add
    ones = (1,) * len(pool_size)
    offsets = np.ndindex(*pool_size)
    y = xp[window_slice(next(offsets), strides, ones, out)].copy()
    for offset in offsets:
        reduce(y, xp[window_slice(offset, strides, ones, out)], out=y)
    return y


def _scatter(dx, index, value, overlapping):
    if overlapping:
        dx[index] += value
    else:  # each cell is in at most one window: a plain store
        dx[index] = value


def max_pool_grad(xp, y, g, pool_size, strides):
    """Route each output gradient to the first cell of its window holding the maximum."""
    ones = (1,) * len(pool_size)
    out = y.shape[1:-1]
    overlapping = any(s < p for s, p in zip(strides, pool_size))
    dx = np.zeros(xp.shape, g.dtype)
    taken = None
    for offset in np.ndindex(*pool_size):
        index = window_slice(offset, strides, ones, out)
        hit = xp[index] == y
        if taken is None:
            taken = hit
        else:
            hit &= ~taken
            taken |= hit
        _scatter(dx, index, g * hit, overlapping)
    return dx


def sum_pool_grad(g, padded_shape, pool_size, strides):
    """Each window's gradient spread over its cells."""
    out = g.shape[1:-1]
    ones = (1,) * len(pool_size)
    overlapping = any(s < p for s, p in zip(strides, pool_size))
    dx = np.zeros(padded_shape, g.dtype)
    for offset in np.ndindex(*pool_size):
        _scatter(dx, window_slice(offset, strides, ones, out), g, overlapping)
    return dx
