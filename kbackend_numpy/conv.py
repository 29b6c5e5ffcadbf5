"""Raw-array machinery behind the numpy engine's convolutions and pooling.

Everything here works on plain ndarrays in channels_last layout
(batch, *spatial, channels) and knows nothing of the tape; nn.py wraps it into
differentiable ops. A convolution is im2col (a strided window view copied
once into a 2-D matrix) followed by one BLAS matmul; the way back (col2im)
adds the columns into place with one vectorized slice-add per kernel position.
"""

import math as _pymath
import threading

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


# Up to this many input channels, im2col lays the columns out kernel-position-major: each
# position's copy then reads whole rows of the input instead of runs of `channels` floats.
_POSITION_MAJOR_CHANNELS = 4


def im2col(xp, kernel, strides, dilation):
    """(columns (batch * prod(out), prod(kernel) * channels), out sizes).

    With few channels the matrix is the transpose of a C-ordered (positions, rows)
    array; BLAS takes either layout as is."""
    view = windows(xp, kernel, strides, dilation)
    nd = len(kernel)
    out = view.shape[1:1 + nd]
    depth = _pymath.prod(kernel) * xp.shape[-1]
    if xp.shape[-1] > _POSITION_MAJOR_CHANNELS:
        return view.reshape(-1, depth), out
    cols = np.empty(view.shape[1 + nd:] + view.shape[:1 + nd], xp.dtype)
    np.copyto(cols, view.transpose(tuple(range(1 + nd, 2 * nd + 2)) + tuple(range(1 + nd))))
    return cols.reshape(depth, -1).T, out


# col2im adds by contiguous runs when each add still moves at least this many numbers
# (below it the per-call cost of the extra adds outweighs their better memory access).
_RUN_ADD_SIZE = 4096


def col2im(cols, padded_shape, kernel, strides, dilation, out):
    """The transpose of im2col: cols (batch, *out, *kernel, channels) summed into
    an array of padded_shape."""
    nd = len(kernel)
    if dilation[-1] == 1 and cols.size >= _RUN_ADD_SIZE * out[-1] * _pymath.prod(kernel[:-1]):
        return _col2im_runs(cols, padded_shape, kernel, strides, dilation, out)
    dx = np.zeros(padded_shape, cols.dtype)
    for offset in np.ndindex(*kernel):
        index = window_slice(offset, strides, dilation, out)
        np.add(dx[index], cols[(slice(None),) * (nd + 1) + offset], out=dx[index])
    return dx


def _col2im_runs(cols, padded_shape, kernel, strides, dilation, out):
    """col2im for narrow outputs: the last kernel axis and the channels of one output
    position land on one contiguous run of the input, so one add per (output column,
    other kernel positions) replaces one per kernel position."""
    nd = len(kernel)
    channels = padded_shape[-1]
    run = kernel[-1] * channels
    dx = np.zeros(padded_shape, cols.dtype)
    flat = dx.reshape(padded_shape[:-2] + (-1,))  # the last spatial axis merged with channels
    rows = cols.reshape(cols.shape[:-2] + (run,))  # (batch, *out, *kernel[:-1], run)
    for j in range(out[-1]):
        start = j * strides[-1] * channels
        for offset in np.ndindex(*kernel[:-1]):
            index = window_slice(offset, strides[:-1], dilation[:-1], out[:-1])[:-1] + (slice(start, start + run),)
            np.add(flat[index], rows[(slice(None),) * nd + (j,) + offset], out=flat[index])
    return dx


def conv(xp, w, strides, dilation):
    """Forward convolution of padded xp with kernel w (*kernel, in, out): (y, cols)."""
    kernel = w.shape[:-2]
    cols, out = im2col(xp, kernel, strides, dilation)
    y = np.matmul(cols, w.reshape(-1, w.shape[-1]))
    return y.reshape((xp.shape[0],) + tuple(out) + (w.shape[-1],)), cols


_SCRATCH = threading.local()
_SCRATCH_KEEP = 4  # distinct scratch shapes kept per thread (a model has a few conv layers)


def _scratch(shape, dtype):
    """A reused uninitialized array for a temporary that never leaves its function.
    Fresh large arrays cost page faults on every step; reusing one avoids them."""
    cache = getattr(_SCRATCH, "arrays", None)
    if cache is None:
        cache = _SCRATCH.arrays = {}
    key = (tuple(shape), np.dtype(dtype))
    if key not in cache:
        if len(cache) >= _SCRATCH_KEEP:
            cache.pop(next(iter(cache)))
        cache[key] = np.empty(shape, dtype)
    return cache[key]


def conv_input_grad(g, w, padded_shape, strides, dilation):
    """The gradient of conv with respect to its padded input, for output gradient g."""
    kernel = w.shape[:-2]
    out = g.shape[1:-1]
    g2 = g.reshape(-1, g.shape[-1])
    w2 = w.reshape(-1, w.shape[-1]).T
    dcols = np.matmul(g2, w2, out=_scratch((g2.shape[0], w2.shape[1]), np.result_type(g2, w2)))
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


def _tiles(a, pool_size, out):
    """View (batch, out0, pool0, out1, pool1, ..., channels) of the non-overlapping
    windows of a (cells past the last whole window left out); no copy."""
    covered = a[(slice(None),) + tuple(slice(0, o * p) for o, p in zip(out, pool_size)) + (slice(None),)]
    return covered.reshape((a.shape[0],) + tuple(n for pair in zip(out, pool_size) for n in pair) + (a.shape[-1],))


def _spread(y, nd):
    """y (batch, *out, channels) with a length-1 axis after each out axis, to broadcast against _tiles."""
    return y.reshape((y.shape[0],) + tuple(n for o in y.shape[1:-1] for n in (o, 1)) + (y.shape[-1],))


def _tiled_dx(shape, out, pool_size, dtype):
    """Zeros only where windows do not cover the input (an uninitialized array otherwise)."""
    whole = all(o * p == n for o, p, n in zip(out, pool_size, shape[1:-1]))
    return np.empty(shape, dtype) if whole else np.zeros(shape, dtype)


def _first_hits(hits, nd):
    """Keep, in each window of the tiled boolean `hits`, only the first True in C order."""
    taken = None
    for offset in np.ndindex(*(hits.shape[2 + 2 * i] for i in range(nd))):
        view = hits[(slice(None),) + tuple(x for o in offset for x in (slice(None), o)) + (slice(None),)]
        if taken is None:
            taken = view.copy()
        else:
            view &= ~taken
            taken |= view


def max_pool_grad(xp, y, g, pool_size, strides):
    """Route each output gradient to the first cell of its window holding the maximum."""
    if tuple(strides) == tuple(pool_size):
        return _max_pool_grad_tiled(xp, y, g, pool_size)
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


def _max_pool_grad_tiled(xp, y, g, pool_size):
    """max_pool_grad for windows that tile the input (strides == pool size): one
    comparison against the broadcast maxima and one product, over reshaped views."""
    nd = len(pool_size)
    out = y.shape[1:-1]
    hits = _tiles(xp, pool_size, out) == _spread(y, nd)
    if np.count_nonzero(hits) != y.size or np.isnan(y).any():  # ties (or NaN windows): first cell wins
        _first_hits(hits, nd)
    dx = _tiled_dx(xp.shape, out, pool_size, g.dtype)
    np.multiply(_spread(g, nd), hits, out=_tiles(dx, pool_size, out))
    return dx


def sum_pool_grad(g, padded_shape, pool_size, strides):
    """Each window's gradient spread over its cells."""
    out = g.shape[1:-1]
    if tuple(strides) == tuple(pool_size):  # tiling windows: one broadcast copy
        dx = _tiled_dx(padded_shape, out, pool_size, g.dtype)
        np.copyto(_tiles(dx, pool_size, out), _spread(g, len(pool_size)))
        return dx
    ones = (1,) * len(pool_size)
    overlapping = any(s < p for s, p in zip(strides, pool_size))
    dx = np.zeros(padded_shape, g.dtype)
    for offset in np.ndindex(*pool_size):
        _scatter(dx, window_slice(offset, strides, ones, out), g, overlapping)
    return dx
