"""The numpy engine's fast convolution and pooling kernels against float64 references.

These test engine internals (kbackend_numpy.conv, nn), so they run only when
KERAS_BACKEND=numpy. Each fast path is compared with a plain loop written here.
"""

import os

import numpy as np
import pytest

if os.environ.get("KERAS_BACKEND", "numpy") != "numpy":
    pytest.skip("numpy engine internals", allow_module_level=True)

from kbackend_numpy import conv, nn  # noqa: E402

RNG = np.random.default_rng(7)


def reference_cols(x, kernel, strides):
    """(batch * out positions, kernel positions * channels) by explicit loops, float64."""
    b, *spatial, c = x.shape
    out = [(n - k) // s + 1 for n, k, s in zip(spatial, kernel, strides)]
    rows = []
    for n in range(b):
        for pos in np.ndindex(*out):
            window = x[(n,) + tuple(slice(p * s, p * s + k) for p, s, k in zip(pos, strides, kernel))]
            rows.append(window.reshape(-1))
    return np.array(rows, np.float64), tuple(out)


def reference_col2im(cols, shape, kernel, strides, out):
    """Scatter-add of cols (batch, *out, *kernel, channels) one cell at a time, float64."""
    dx = np.zeros(shape, np.float64)
    for n in range(shape[0]):
        for pos in np.ndindex(*out):
            for off in np.ndindex(*kernel):
                cell = tuple(p * s + o for p, s, o in zip(pos, strides, off))
                dx[(n,) + cell] += cols[(n,) + pos + off]
    return dx


def reference_max_pool_grad(x, g, pool, strides):
    """Each output's gradient to the first (C order) maximal cell of its window, float64."""
    dx = np.zeros(x.shape, np.float64)
    out = g.shape[1:-1]
    for n in range(x.shape[0]):
        for ch in range(x.shape[-1]):
            for pos in np.ndindex(*out):
                cells = [tuple(p * s + o for p, s, o in zip(pos, strides, off)) for off in np.ndindex(*pool)]
                values = [x[(n,) + cell + (ch,)] for cell in cells]
                top = max(values)
                for cell, v in zip(cells, values):
                    if v == top:  # NaN windows have no maximum: no gradient, as in the general path
                        dx[(n,) + cell + (ch,)] += g[(n,) + pos + (ch,)]
                        break
    return dx


@pytest.mark.parametrize("channels", [1, 3, 6])
@pytest.mark.parametrize("strides", [(1, 1), (2, 1)])
def test_im2col_layouts_match_loops(channels, strides):
    x = RNG.standard_normal((2, 7, 6, channels)).astype(np.float32)
    cols, out = conv.im2col(x, (3, 2), strides, (1, 1))
    ref, ref_out = reference_cols(x.astype(np.float64), (3, 2), strides)
    assert tuple(out) == ref_out
    np.testing.assert_array_equal(cols, ref)
    w = RNG.standard_normal((3, 2, channels, 4)).astype(np.float32)  # the matmul accepts either layout
    y, _ = conv.conv(x, w, strides, (1, 1))
    np.testing.assert_allclose(y.reshape(-1, 4), ref @ w.reshape(-1, 4).astype(np.float64), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,kernel,strides", [
    ((3, 12, 12, 8), (5, 5), (1, 1)),   # the per-position path (adds too small for runs)
    ((2, 9, 11, 3), (3, 2), (2, 3)),    # the per-position path (small), strided
    ((64, 10, 14, 16), (3, 3), (1, 2)),  # runs with a stride on the last axis
    ((40, 30, 8), (4,), (2,)),          # 1-D
])
def test_col2im_matches_scatter_loop(shape, kernel, strides):
    out = tuple((n - k) // s + 1 for n, k, s in zip(shape[1:-1], kernel, strides))
    cols = RNG.standard_normal((shape[0],) + out + kernel + (shape[-1],)).astype(np.float32)
    got = conv.col2im(cols, shape, kernel, strides, (1,) * len(kernel), out)
    np.testing.assert_allclose(got, reference_col2im(cols.astype(np.float64), shape, kernel, strides, out),
                               rtol=1e-5, atol=1e-5)


def test_col2im_run_path_equals_position_path():
    shape, kernel, strides = (16, 12, 12, 32), (5, 5), (1, 1)
    out = (8, 8)
    cols = RNG.standard_normal((16,) + out + kernel + (32,))
    runs = conv._col2im_runs(cols, shape, kernel, strides, (1, 1), out)
    np.testing.assert_allclose(runs, reference_col2im(cols, shape, kernel, strides, out), rtol=1e-12, atol=1e-12)


def test_conv_input_grad_scratch_is_not_shared_between_results():
    g1, g2 = (RNG.standard_normal((2, 4, 4, 3)).astype(np.float32) for _ in range(2))
    w = RNG.standard_normal((3, 3, 2, 3)).astype(np.float32)
    a = conv.conv_input_grad(g1, w, (2, 6, 6, 2), (1, 1), (1, 1))
    keep = a.copy()
    b = conv.conv_input_grad(g2, w, (2, 6, 6, 2), (1, 1), (1, 1))  # same shapes: same scratch buffer
    np.testing.assert_array_equal(a, keep)
    dcols = (g2.reshape(-1, 3).astype(np.float64) @ w.reshape(-1, 3).T.astype(np.float64))
    ref = reference_col2im(dcols.reshape(2, 4, 4, 3, 3, 2), (2, 6, 6, 2), (3, 3), (1, 1), (4, 4))
    np.testing.assert_allclose(b, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,pool", [
    ((3, 8, 8, 4), (2, 2)),
    ((2, 7, 9, 3), (2, 3)),     # trailing cells outside every window
    ((2, 9, 5), (3,)),          # 1-D
    ((2, 4, 6, 4, 2), (2, 3, 2)),  # 3-D
])
@pytest.mark.parametrize("ties", [False, True])
def test_tiled_max_pool_grad_matches_first_max_rule(shape, pool, ties):
    if ties:  # few distinct values: many windows hold their maximum twice; one NaN window
        x = RNG.integers(0, 2, shape).astype(np.float32)
        x[(0,) * len(shape)] = np.nan
    else:
        x = RNG.permutation(np.prod(shape)).reshape(shape).astype(np.float32)
    out = tuple(n // p for n, p in zip(shape[1:-1], pool))
    y = conv.pool(x, pool, pool, out, "max")
    g = RNG.standard_normal(y.shape).astype(np.float32)
    got = conv.max_pool_grad(x, y, g, pool, pool)
    np.testing.assert_allclose(got, reference_max_pool_grad(x, g.astype(np.float64), pool, pool), rtol=1e-6)
    if ties:  # the first cell wins: every window passes its gradient to exactly one cell (NaN window: none)
        assert np.count_nonzero(got) == g.size - 1


def test_overlapping_max_pool_grad_still_matches():
    x = RNG.integers(0, 3, (2, 7, 7, 2)).astype(np.float32)
    out = (3, 3)
    y = conv.pool(x, (3, 3), (2, 2), out, "max")
    g = RNG.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_allclose(conv.max_pool_grad(x, y, g, (3, 3), (2, 2)),
                               reference_max_pool_grad(x, g.astype(np.float64), (3, 3), (2, 2)), rtol=1e-6)


@pytest.mark.parametrize("shape,pool", [((2, 6, 8, 3), (2, 2)), ((2, 7, 8, 3), (3, 2))])
def test_tiled_sum_pool_grad_spreads_each_window(shape, pool):
    out = tuple(n // p for n, p in zip(shape[1:-1], pool))
    g = RNG.standard_normal((shape[0],) + out + (shape[-1],))
    got = conv.sum_pool_grad(g, shape, pool, pool)
    ref = np.zeros(shape)
    for i, j in np.ndindex(*out):
        ref[:, i * pool[0]:(i + 1) * pool[0], j * pool[1]:(j + 1) * pool[1]] = g[:, i:i + 1, j:j + 1]
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("shape,axis", [((64, 5, 5, 7), 3), ((6, 7, 5), 1), ((9, 1, 4), 1)])
def test_bias_grad_sums_all_other_axes(shape, axis):
    g = RNG.standard_normal(shape).astype(np.float32)
    b = np.zeros(shape[axis], np.float32)
    bb = nn._channel_broadcast(b, g.ndim, axis)
    expected = g.astype(np.float64).sum(axis=tuple(i for i in range(g.ndim) if i != axis))
    np.testing.assert_allclose(nn._bias_grad(g, b, bb), expected, rtol=1e-4, atol=1e-4)
