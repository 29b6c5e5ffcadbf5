"""Raw-array machinery behind the numpy engine's convolutions and pooling.

Everything here works on plain ndarrays in channels_last layout
(batch, *spatial, channels) and knows nothing of the tape; nn.py wraps it into
differentiable ops. A convolution is im2col (a strided window view copied
once into a 2-D matrix) followed by one BLAS matmul; the way back (col2im)
adds the columns into place with one vectorized slice-add per kernel position.
When that matrix is large, the images go through in chunks whose matrix fits
in a core's L2 cache: each copy is then read back by the matmul (or col2im)
from cache instead of memory, and the matrix is never kept for the backward
(the kernel gradient makes the chunk's columns again from the input).
"""

import functools
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


def col2im(cols, padded_shape, kernel, strides, dilation, out, dx=None):
    """The transpose of im2col: cols (batch, *out, *kernel, channels) summed into
    an array of padded_shape (added into dx, C-contiguous, when given)."""
    if dx is None:
        dx = np.zeros(padded_shape, cols.dtype)
    runs = dilation[-1] == 1 and cols.size >= _RUN_ADD_SIZE * out[-1] * _pymath.prod(kernel[:-1])
    plan = _add_plan(tuple(kernel), tuple(strides), tuple(dilation), tuple(out), dx.shape[-1], runs)
    if runs:  # the last spatial axis merged with channels (views)
        dx2 = dx.reshape(dx.shape[:-2] + (-1,))
        cols = cols.reshape(cols.shape[:-2] + (kernel[-1] * dx.shape[-1],))
    else:
        dx2 = dx
    for target, source in plan:
        np.add(dx2[target], cols[source], out=dx2[target])
    return dx


@functools.lru_cache(maxsize=64)
def _add_plan(kernel, strides, dilation, out, channels, runs):
    """The (target, source) index pairs of col2im's slice-adds, made once per geometry.

    One add per kernel position; or, with `runs` (narrow outputs), one per (output column,
    other kernel positions): the last kernel axis and the channels of one output position
    land on one contiguous run of the input (its last spatial axis merged with channels)."""
    nd = len(kernel)
    if not runs:
        return [(window_slice(offset, strides, dilation, out), (slice(None),) * (nd + 1) + offset)
                for offset in np.ndindex(*kernel)]
    run = kernel[-1] * channels
    plan = []
    for j in range(out[-1]):
        start = j * strides[-1] * channels
        for offset in np.ndindex(*kernel[:-1]):
            target = window_slice(offset, strides[:-1], dilation[:-1], out[:-1])[:-1] + (slice(start, start + run),)
            plan.append((target, (slice(None),) * nd + (j,) + offset))
    return plan


# Images per chunk are chosen so that one chunk's column matrix takes about this many bytes
# (a core's L2 holds it while the matmul reads it back).
_CHUNK_BYTES = 2 << 20


def images_per_chunk(padded_shape, itemsize, kernel, strides, dilation):
    """How many images of a padded input go through im2col together: all of them when the
    whole matrix is small or has the few-channel layout (its copy is cheap either way)."""
    batch, channels = padded_shape[0], padded_shape[-1]
    out = out_sizes(padded_shape[1:-1], kernel, strides, dilation)
    per_image = _pymath.prod(out) * _pymath.prod(kernel) * channels * itemsize
    if channels <= _POSITION_MAJOR_CHANNELS or per_image * batch <= 2 * _CHUNK_BYTES:
        return max(1, batch)
    return max(1, _CHUNK_BYTES // per_image)


def conv(xp, w, strides, dilation):
    """Forward convolution of padded xp with kernel w (*kernel, in, out): (y, cols),
    cols None when the images went through in chunks (see conv_kernel_grad)."""
    kernel = w.shape[:-2]
    w2 = w.reshape(-1, w.shape[-1])
    step = images_per_chunk(xp.shape, xp.itemsize, kernel, strides, dilation)
    if step >= xp.shape[0]:
        cols, out = im2col(xp, kernel, strides, dilation)
        y = np.matmul(cols, w2)
        return y.reshape((xp.shape[0],) + tuple(out) + (w.shape[-1],)), cols
    view = windows(xp, kernel, strides, dilation)
    y = np.empty(view.shape[:1 + len(kernel)] + (w.shape[-1],), np.result_type(xp, w))
    for start in range(0, xp.shape[0], step):
        cols = view[start:start + step].reshape(-1, w2.shape[0])  # the copy
        np.matmul(cols, w2, out=y[start:start + step].reshape(cols.shape[0], -1))  # a contiguous block: a view
    return y, None


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
    """The gradient of conv with respect to its padded input, for output gradient g:
    the column gradients g @ w^T, summed back into place chunk by chunk."""
    kernel = w.shape[:-2]
    out = g.shape[1:-1]
    w2 = w.reshape(-1, w.shape[-1]).T
    dtype = np.result_type(g, w2)
    dx = np.zeros(padded_shape, dtype)
    step = min(max(1, g.shape[0]), images_per_chunk(padded_shape, dtype.itemsize, kernel, strides, dilation))
    positions = _pymath.prod(out)
    buffer = _scratch((step * positions, w2.shape[1]), dtype)
    for start in range(0, g.shape[0], step):
        gc = g[start:start + step]
        g2 = gc.reshape(-1, g.shape[-1])
        dcols = np.matmul(g2, w2, out=buffer[:g2.shape[0]])
        dcols = dcols.reshape(gc.shape[:-1] + tuple(kernel) + (w.shape[-2],))
        col2im(dcols, dx.shape, kernel, strides, dilation, out, dx=dx[start:start + step])
    return dx


def conv_kernel_grad(cols, g, w_shape, xp=None, strides=None, dilation=None):
    """The gradient of conv with respect to the kernel: cols^T @ g. With cols None
    (conv went through in chunks) the columns are made again from padded input xp,
    chunk by chunk, and the chunks' products summed."""
    g2 = g.reshape(-1, g.shape[-1])
    if cols is not None:
        return np.matmul(cols.T, g2).reshape(w_shape)
    kernel = w_shape[:-2]
    step = images_per_chunk(xp.shape, xp.itemsize, kernel, strides, dilation)
    rows = g2.shape[0] // xp.shape[0]  # output positions per image
    view = windows(xp, kernel, strides, dilation)
    dw = None
    for start in range(0, xp.shape[0], step):
        cols = view[start:start + step].reshape(-1, _pymath.prod(w_shape[:-1]))
        part = np.matmul(cols.T, g2[start * rows:(start + step) * rows])
        dw = part if dw is None else np.add(dw, part, out=dw)
    return dw.reshape(w_shape)


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
    if np.count_nonzero(hits) != y.size - np.count_nonzero(np.isnan(y)):  # ties: the first cell wins
        _first_hits(hits, nd)  # (a window with a NaN maximum has no hit and passes nothing back)
    dx = _tiled_dx(xp.shape, out, pool_size, g.dtype)
    tiles = _tiles(dx, pool_size, out)
    # broadcast first, then mask in one flat pass: a float-by-bool product over the
    # broadcast 2n-d views runs numpy's casting loop per channel row (~1.5x slower)
    np.copyto(tiles, _spread(g, nd))
    np.multiply(tiles, hits.view(np.uint8), out=tiles)
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
