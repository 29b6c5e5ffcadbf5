"""The numpy engine's fast kernels (convolution, pooling, optimizer, gather) against references.

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
                if np.isnan(values).any():  # NaN windows have no maximum: no gradient, as in the general path
                    continue
                top = max(values)
                for cell, v in zip(cells, values):
                    if v == top:
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


@pytest.mark.parametrize("run_add_size", [0, 10 ** 12])  # every add by runs / every add per kernel position
def test_col2im_run_path_and_position_path_match_loop(monkeypatch, run_add_size):
    monkeypatch.setattr(conv, "_RUN_ADD_SIZE", run_add_size)
    shape, kernel, strides = (16, 12, 12, 32), (5, 5), (1, 1)
    out = (8, 8)
    cols = RNG.standard_normal((16,) + out + kernel + (32,))
    got = conv.col2im(cols, shape, kernel, strides, (1, 1), out)
    np.testing.assert_allclose(got, reference_col2im(cols, shape, kernel, strides, out), rtol=1e-12, atol=1e-12)


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


def reference_dilated_cols(x, kernel, strides, dilation):
    """reference_cols for a dilated kernel: the kernel's taps gathered first, float64."""
    b, *spatial, c = x.shape
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    out = [(n - e) // s + 1 for n, e, s in zip(spatial, span, strides)]
    rows = []
    for n in range(b):
        for pos in np.ndindex(*out):
            taps = [x[(n,) + tuple(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation))]
                    for off in np.ndindex(*kernel)]
            rows.append(np.concatenate(taps))
    return np.array(rows, np.float64), tuple(out)


@pytest.mark.parametrize("shape,kernel,strides,dilation", [
    ((7, 9, 8, 6), (3, 3), (1, 1), (1, 1)),
    ((5, 10, 9, 8), (3, 2), (2, 1), (1, 2)),
    ((6, 11, 5), (4,), (1,), (2,)),  # 1-D
])
def test_conv_in_image_chunks_matches_loops(monkeypatch, shape, kernel, strides, dilation):
    """With a tiny chunk budget every conv kernel goes image chunk by image chunk (a short last chunk
    included); forward, kernel gradient and input gradient against float64 loop references."""
    channels, filters = shape[-1], 5
    x = RNG.standard_normal(shape).astype(np.float32)
    w = RNG.standard_normal(kernel + (channels, filters)).astype(np.float32)
    ref_cols, out = reference_dilated_cols(x.astype(np.float64), kernel, strides, dilation)
    per_image = ref_cols.nbytes // 2 // shape[0]  # float32 bytes of one image's columns
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 2 * per_image)
    assert conv.images_per_chunk(shape, 4, kernel, strides, dilation) == 2
    y, cols = conv.conv(x, w, strides, dilation)
    assert cols is None  # chunked: no column matrix kept
    w64 = w.reshape(-1, filters).astype(np.float64)
    np.testing.assert_allclose(y.reshape(-1, filters), ref_cols @ w64, rtol=1e-4, atol=1e-4)
    g = RNG.standard_normal(y.shape).astype(np.float32)
    g64 = g.reshape(-1, filters).astype(np.float64)
    dw = conv.conv_kernel_grad(None, g, w.shape, x, strides, dilation)
    np.testing.assert_allclose(dw.reshape(-1, filters), ref_cols.T @ g64, rtol=1e-4, atol=1e-4)
    dx = conv.conv_input_grad(g, w, shape, strides, dilation)
    dcols = (g64 @ w64.T).reshape((shape[0],) + out + kernel + (channels,))
    ref_dx = np.zeros(shape)  # scatter-add of each column gradient onto the cells it was read from
    for n in range(shape[0]):
        for pos in np.ndindex(*out):
            for off in np.ndindex(*kernel):
                cell = tuple(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation))
                ref_dx[(n,) + cell] += dcols[(n,) + pos + off]
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-4, atol=1e-4)


def test_conv_op_gradients_same_in_chunks_and_whole(monkeypatch):
    """nn.conv2d's gradients (the tape keeps the input instead of the columns when chunked) match
    the single-matrix path."""
    from kbackend_numpy import autodiff, math
    x = RNG.standard_normal((6, 9, 9, 8)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 8, 4)).astype(np.float32)

    def loss(params):
        y = nn.conv2d(params[0], params[1], strides=(2, 1), padding="same")
        return math.sum(y * y)
    whole = autodiff.value_and_grad(loss)([x, w])
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)  # one image per chunk
    chunked = autodiff.value_and_grad(loss)([x, w])
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-5)
    for a, b in zip(chunked[1], whole[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


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


@pytest.mark.parametrize("shape", [(3, 5, 7, 4), (2, 300, 6), (2, 3, 4, 5, 6), (4, 6), (2, 0, 5, 3)])
def test_bias_add_with_repeated_bias_rows_matches_broadcast(shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    b = RNG.standard_normal(shape[-1]).astype(np.float32)
    got = nn.bias_add(x, b)
    np.testing.assert_array_equal(got, x + b)  # the same float32 sums, element by element
    np.testing.assert_allclose(got, x.astype(np.float64) + b.astype(np.float64), rtol=1e-6, atol=1e-6)
    strided = x[..., ::-1]  # not C-contiguous: the plain broadcast path
    np.testing.assert_array_equal(nn.bias_add(strided, b), strided + b)


def _relu_pool_grads(z, pool, strides, padding, data_format, also_sum_relu):
    """Gradient of sum(w * pool(relu(z))) (+ sum(relu(z)) when also_sum_relu) with respect to z."""
    from kbackend_numpy import autodiff, math
    w = RNG.standard_normal(nn.pool2d(nn.relu(z), pool, strides, padding, data_format).shape)

    def loss(params):
        r = nn.relu(params[0])
        total = math.sum(nn.pool2d(r, pool, strides, padding, data_format) * w)
        return total + math.sum(r) if also_sum_relu else total
    return autodiff.value_and_grad(loss)([z])[1][0], w


@pytest.mark.parametrize("pool,strides,padding", [((2, 2), (2, 2), "valid"), ((3, 3), (2, 2), "valid"),
                                                  ((2, 2), (2, 2), "same"), ((3, 2), (3, 2), "valid")])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("also_sum_relu", [False, True])
def test_max_pool_after_relu_gradient_matches_loops(pool, strides, padding, data_format, also_sum_relu):
    """The pooling differentiates through the ReLU before it in one step: compared with the first-max
    rule then the ReLU's derivative, by loops in float64. Integer values: many windows tie, many are
    all zeros after the ReLU; one NaN."""
    z = RNG.integers(-2, 3, (3, 7, 8, 4)).astype(np.float64)
    z[1, 2, 3, 1] = np.nan
    zl = z if data_format == "channels_last" else np.moveaxis(z, -1, 1)
    got, w = _relu_pool_grads(zl, pool, strides, padding, data_format, also_sum_relu)
    if data_format == "channels_first":
        got, w = np.moveaxis(got, 1, -1), np.moveaxis(w, 1, -1)
    r = np.maximum(z, 0)
    if padding == "same":  # the windows' cells past the input's end: -inf, never a maximum
        out = [-(-n // s) for n, s in zip(r.shape[1:-1], strides)]
        total = [max((o - 1) * s + p - n, 0) for o, s, p, n in zip(out, strides, pool, r.shape[1:-1])]
        pads = [(0, 0)] + [(t // 2, t - t // 2) for t in total] + [(0, 0)]
        rp = np.pad(r, pads, constant_values=-np.inf)
    else:
        rp, pads = r, [(0, 0)] * 4
    ref = reference_max_pool_grad(rp, w, pool, strides)
    ref = ref[:, pads[1][0]:pads[1][0] + r.shape[1], pads[2][0]:pads[2][0] + r.shape[2]]
    ref = (ref + (1 if also_sum_relu else 0)) * (z > 0)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd,shape,pool,strides", [(1, (2, 9, 3), (2,), (2,)), (1, (2, 9, 3), (3,), (2,)),
                                                   (3, (2, 4, 6, 4, 2), (2, 3, 2), (2, 3, 2))])
def test_max_pool_after_relu_gradient_same_as_separate_ops(nd, shape, pool, strides):
    """1-D and 3-D: the combined gradient equals the one through a ReLU that pooling does not
    recognise (max_value=inf: the same function by the general activation path)."""
    from kbackend_numpy import autodiff, math
    z = RNG.choice(np.array([-2, -1, 1, 2], np.float32), shape)  # no 0: there the two paths' slopes differ
    pool_op = {1: nn.pool1d, 3: nn.pool3d}[nd]
    w = RNG.standard_normal(pool_op(np.maximum(z, 0), pool, strides).shape).astype(np.float32)

    def grad(relu):
        return autodiff.value_and_grad(lambda p: math.sum(pool_op(relu(p[0]), pool, strides) * w))([z])[1][0]
    combined = grad(nn.relu)
    separate = grad(lambda v: nn.relu(v, max_value=np.inf))
    np.testing.assert_array_equal(combined, separate)
    assert np.count_nonzero(combined) > 0


def test_compiled_adam_updates_engine_owned_state_in_place():
    import kbackend as K
    from core import layers, optimizers
    from core.models import Sequential

    model = Sequential([layers.Dense(4, input_shape=(3,))])
    given = RNG.normal(size=(3, 4)).astype(np.float32)
    model.set_weights([given, np.zeros(4, np.float32)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss="mse")
    x, y = RNG.normal(size=(8, 3)).astype(np.float32), RNG.normal(size=(8, 4)).astype(np.float32)
    kernel = model.layers[0].kernel
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert kernel.value is not given  # the user's array was stored, so the first update wrote a new one
    owned, before = kernel.value, kernel.numpy()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert kernel.value is owned  # then the same buffer, updated in place
    assert np.abs(kernel.numpy() - before).max() > 1e-3
    # outside a compiled step, or when the caller keeps the old values, the inputs stay as they were
    w, g, m, v = (RNG.normal(size=5).astype(np.float32) ** 2 for _ in range(4))
    copies = [a.copy() for a in (w, g, m, v)]
    outs = K.adam_update(w, g, m, v, 0.1, 0.9, 0.999, 1e-7, in_place=True)
    assert not any(o is a for o in outs for a in (w, m, v))
    for a, b in zip((w, g, m, v), copies):
        np.testing.assert_array_equal(a, b)


def test_donation_skips_arrays_passed_twice_or_also_kept():
    from kbackend_numpy import donation

    a, b, c = (donation.own(np.zeros(3, np.float32)) for _ in range(3))
    user = np.zeros(3, np.float32)
    with donation.donating([[a, b, b, user]], ([c], {})):
        assert donation.writable(a)
        assert not donation.writable(b)  # passed twice
        assert not donation.writable(user)  # not allocated by the engine
        assert not donation.writable(a, a)
    with donation.donating([[c]], ([c], {})):
        assert not donation.writable(c)  # also passed without donation
    assert not donation.writable(a)  # no call running


def test_gradients_are_arrays_of_their_own():
    import kbackend as K

    x, y = np.ones((3, 4), np.float32), np.full((3, 4), 2.0, np.float32)
    # both leaves get the same upstream gradient; a broadcast seed; a reshape of the leaf
    grads = K.value_and_grad(lambda p: K.sum(K.add(p[0], p[1])) + K.sum(K.reshape(p[2], (12,))))([x, y, x])[1]
    np.testing.assert_array_equal(grads[0], np.ones((3, 4)))
    np.testing.assert_array_equal(grads[2], np.ones((3, 4)))
    for i, g in enumerate(grads):
        assert g.flags.writeable and g.flags.owndata or g.base.nbytes == g.nbytes
        for other in grads[i + 1:] + [x, y]:
            assert not np.shares_memory(g, other)


@pytest.mark.parametrize("shape, index_shape", [((50, 4), (6, 9)), ((7,), (30,)), ((5, 2, 3), ()),
                                                 ((4, 3), (0,)), ((6, 2), (3, 1, 2))])
def test_gather_gradient_sums_repeated_rows_like_a_loop(shape, index_shape):
    # many repeats and negative indices (-1 and n - 1 are one row): a plain loop adds row by row
    from kbackend_numpy.math import _sum_rows_by_index
    idx = RNG.integers(-shape[0], shape[0], size=index_shape)
    g = RNG.standard_normal(index_shape + shape[1:])
    expected = np.zeros(shape)
    for position in np.ndindex(*index_shape):
        expected[idx[position] % shape[0]] += g[position]
    got = _sum_rows_by_index(idx, g, shape, np.float64)
    assert got.shape == shape and got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)  # same additions in the same order
