"""core.layers' convolution layers on the active engine: forward passes against
float64 numpy references written here with explicit loops over output (or
input) positions, gradients with respect to the weights and the input, weight
layouts and counts, symbolic output shapes, configs, Keras 1/2 spellings and
errors."""

import json
import math
import re
import warnings

import numpy as np
import pytest

import kbackend as K
from core import layers, optimizers, regularizers
from core.layers import Input
from core.models import Sequential
from core.utils import set_random_seed

RNG = np.random.default_rng(0)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def as_tuple(value, rank):
    return (value,) * rank if isinstance(value, int) else tuple(value)


# --- float64 references ---------------------------------------------------------------------------------------------

def pad_pair(n, k, s, d, padding):
    """(before, after) zeros of one axis, as TensorFlow pads (Keras's convention)."""
    span = (k - 1) * d + 1
    if padding == "causal":
        return span - 1, 0
    if padding == "valid":
        return 0, 0
    total = max((math.ceil(n / s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def to_last(x, channels_first):
    return np.moveaxis(x, 1, -1) if channels_first else x


def from_last(y, channels_first):
    return np.moveaxis(y, -1, 1) if channels_first else y


def ref_conv(x, w, strides=1, padding="valid", dilation=1, groups=1, channels_first=False):
    """y[b, o, g-th filter block] = sum over taps t and the group's channels of
    x_padded[b, o * s + t * d, channel] * w[t, channel, filter]."""
    x = to_last(np.asarray(x, np.float64), channels_first)
    w = np.asarray(w, np.float64)
    rank = x.ndim - 2
    strides, dilation, ksize = as_tuple(strides, rank), as_tuple(dilation, rank), w.shape[:rank]
    pads = [pad_pair(n, k, s, d, padding) for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilation)]
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(xp.shape[1:-1], ksize, strides, dilation)]
    cin, fout = w.shape[-2], w.shape[-1] // groups
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for pos in np.ndindex(*out):
        taps = [p * s + np.arange(k) * d for p, s, k, d in zip(pos, strides, ksize, dilation)]
        patch = xp[np.ix_(range(x.shape[0]), *taps, range(x.shape[-1]))]  # (batch, *kernel, channels)
        for g in range(groups):
            y[(slice(None),) + pos + (slice(g * fout, (g + 1) * fout),)] = np.tensordot(
                patch[..., g * cin:(g + 1) * cin], w[..., g * fout:(g + 1) * fout],
                axes=(list(range(1, rank + 2)), list(range(rank + 1))))
    return from_last(y, channels_first)


def ref_depthwise(x, w, strides=1, padding="valid", dilation=1, channels_first=False):
    """Channel c convolved with w[..., c, m] gives output channel c * M + m: a
    grouped convolution with one group per channel."""
    channels, mult = w.shape[-2:]
    return ref_conv(x, np.reshape(w, w.shape[:-2] + (1, channels * mult)), strides, padding, dilation,
                    groups=channels, channels_first=channels_first)


def ref_separable(x, dw, pw, strides=1, padding="valid", dilation=1, channels_first=False):
    mid = to_last(ref_depthwise(x, dw, strides, padding, dilation, channels_first), channels_first)
    return from_last(mid @ np.reshape(np.asarray(pw, np.float64), (-1, pw.shape[-1])), channels_first)


def keras_transpose_window(n, k, s, d, padding, output_padding):
    """(start, length) of Keras's output inside the full transposed convolution.
    length: Keras's deconv_output_length. start: Keras pads the zero-spread
    input on the left by min(ceil(P / 2), span - 1) out of P = length -
    (n - 1) * s + span - 2 padded positions (a full convolution pads span - 1)."""
    span = (k - 1) * d + 1
    if output_padding is None:
        length = n * s + max(span - s, 0) if padding == "valid" else n * s
    else:
        length = (n - 1) * s + span - 2 * (span // 2 if padding == "same" else 0) + output_padding
    if padding == "valid":
        return 0, length
    total = length - (n - 1) * s + span - 2
    return span - 1 - min(-(-total // 2), span - 1), length


def ref_conv_transpose(x, w, strides=1, padding="valid", output_padding=None, dilation=1, channels_first=False):
    """Scatter: input position i and tap t add x[b, i] @ w[t].T at i * s + t * d
    of the full output, then Keras's window of it (zeros past its end)."""
    x = to_last(np.asarray(x, np.float64), channels_first)
    w = np.asarray(w, np.float64)  # (*kernel, filters, in_channels)
    rank = x.ndim - 2
    strides, dilation, ksize = as_tuple(strides, rank), as_tuple(dilation, rank), w.shape[:rank]
    sizes = x.shape[1:-1]
    full = np.zeros((x.shape[0],) + tuple((n - 1) * s + (k - 1) * d + 1
                                          for n, k, s, d in zip(sizes, ksize, strides, dilation)) + (w.shape[-2],))
    for pos in np.ndindex(*sizes):
        for tap in np.ndindex(*ksize):
            at = tuple(p * s + t * d for p, t, s, d in zip(pos, tap, strides, dilation))
            full[(slice(None),) + at] += x[(slice(None),) + pos] @ w[tap].T
    ops = (None,) * rank if output_padding is None else as_tuple(output_padding, rank)
    windows = [keras_transpose_window(n, k, s, d, padding, p)
               for n, k, s, d, p in zip(sizes, ksize, strides, dilation, ops)]
    y = np.zeros((x.shape[0],) + tuple(length for _, length in windows) + (w.shape[-2],))
    src = tuple(slice(start, min(start + length, f)) for (start, length), f in zip(windows, full.shape[1:-1]))
    dst = tuple(slice(0, s.stop - s.start) for s in src)
    y[(slice(None),) + dst] = full[(slice(None),) + src]
    return from_last(y, channels_first)


def linear_gradient(fn, w, upstream):
    """d sum(upstream * fn(w)) / dw for fn linear in w: fn at each basis array."""
    grad = np.zeros(w.shape)
    for j in np.ndindex(*w.shape):
        basis = np.zeros(w.shape)
        basis[j] = 1
        grad[j] = np.sum(upstream * fn(basis))
    return grad


def input_shape(rank, size, channels, data_format):
    spatial = as_tuple(size, rank)
    return (2,) + spatial + (channels,) if data_format == "channels_last" else (2, channels) + spatial


def add_bias(y, b, data_format):
    return y + (b if data_format == "channels_last" else b.reshape((-1,) + (1,) * (y.ndim - 2)))


FORMATS = ["channels_last", "channels_first"]
RELU = {None: lambda z: z, "relu": lambda z: np.maximum(z, 0)}


# --- Conv1D / Conv2D / Conv3D -----------------------------------------------------------------------------------------

CONV = [  # (rank, input size, in channels, filters, layer kwargs)
    (1, 7, 3, 4, dict(kernel_size=3)),
    (1, 7, 3, 4, dict(kernel_size=3, strides=2, padding="same")),
    (1, 8, 3, 2, dict(kernel_size=3, padding="causal", dilation_rate=2)),
    (1, 7, 2, 3, dict(kernel_size=2, padding="causal", strides=2, activation="relu")),
    (1, 8, 4, 6, dict(kernel_size=3, padding="same", dilation_rate=2, groups=2)),
    (2, (6, 5), 3, 4, dict(kernel_size=(3, 2), strides=(2, 1))),
    (2, 6, 2, 3, dict(kernel_size=3, strides=2, padding="same", activation="relu")),
    (2, 7, 2, 3, dict(kernel_size=3, padding="same", dilation_rate=2)),
    (2, (5, 6), 2, 2, dict(kernel_size=2, dilation_rate=(1, 2))),
    (2, 6, 6, 6, dict(kernel_size=3, padding="same", groups=3)),
    (2, 5, 4, 4, dict(kernel_size=2, strides=2, padding="same", groups=4, use_bias=False)),
    (3, 4, 2, 3, dict(kernel_size=2)),
    (3, 5, 2, 2, dict(kernel_size=3, strides=2, padding="same")),
    (3, (5, 4, 3), 4, 2, dict(kernel_size=(2, 3, 1), padding="same", dilation_rate=2, groups=2)),
]


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank,size,cin,filters,kwargs", CONV, ids=[str(i) for i in range(len(CONV))])
def test_conv_forward(rank, size, cin, filters, kwargs, data_format):
    kwargs = dict(kwargs)
    cls = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}[rank]
    groups, ksize = kwargs.get("groups", 1), as_tuple(kwargs["kernel_size"], rank)
    x, w, b = rand(*input_shape(rank, size, cin, data_format)), rand(*ksize, cin // groups, filters), rand(filters)
    use_bias = kwargs.get("use_bias", True)
    layer = cls(filters, data_format=data_format, weights=[w, b] if use_bias else [w], **kwargs)
    out = layer(x)
    ref = ref_conv(x, w, kwargs.get("strides", 1), kwargs.get("padding", "valid"), kwargs.get("dilation_rate", 1),
                   groups, data_format == "channels_first")
    ref = RELU[kwargs.get("activation")](add_bias(ref, b, data_format) if use_bias else ref)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank,size,kwargs,cin", [
    (1, 6, dict(kernel_size=3, padding="causal", dilation_rate=2), 2),
    (2, 5, dict(kernel_size=3, strides=2, padding="same", groups=2), 4),
    (3, 3, dict(kernel_size=2, padding="same"), 2),
], ids=["1d-causal", "2d-groups", "3d"])
def test_conv_gradients(rank, size, kwargs, cin, data_format):
    cls = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}[rank]
    groups, ksize = kwargs.get("groups", 1), as_tuple(kwargs["kernel_size"], rank)
    x, w, b = rand(*input_shape(rank, size, cin, data_format)), rand(*ksize, cin // groups, 4), rand(4)
    layer = cls(4, data_format=data_format, weights=[w, b], **kwargs)
    layer(x)  # built
    first = data_format == "channels_first"

    def ref(xv, wv):
        return ref_conv(xv, wv, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                        kwargs.get("dilation_rate", 1), groups, first)
    upstream = RNG.standard_normal(ref(x, w).shape)
    xt = K.Variable(x)
    grads = K.gradients(lambda: K.sum(K.multiply(layer(xt), upstream.astype(np.float32))), layer.weights + [xt])
    channel_axis = 1 if first else upstream.ndim - 1
    channel_sums = upstream.sum(axis=tuple(i for i in range(upstream.ndim) if i != channel_axis))
    np.testing.assert_allclose(npv(grads[0]), linear_gradient(lambda e: ref(x, e), w, upstream), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(npv(grads[1]), channel_sums, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(npv(grads[2]), linear_gradient(lambda e: ref(e, w), x, upstream), rtol=1e-4,
                               atol=1e-4)


# --- transposed convolutions ---------------------------------------------------------------------------------------

TRANSPOSE = [  # (rank, input size, layer kwargs)
    (1, 4, dict(kernel_size=3, strides=2)),
    (1, 4, dict(kernel_size=3, strides=2, padding="same")),
    (1, 4, dict(kernel_size=4, strides=2, padding="same")),
    (1, 3, dict(kernel_size=2, strides=3)),  # the kernel shorter than the stride: zeros fill the gaps
    (1, 4, dict(kernel_size=3, strides=2, padding="same", output_padding=1)),
    (1, 4, dict(kernel_size=4, strides=2, padding="same", output_padding=0)),
    (1, 5, dict(kernel_size=3, padding="same", dilation_rate=2, activation="relu")),
    (2, (3, 4), dict(kernel_size=(3, 2), strides=(2, 1), padding="same")),
    (2, 3, dict(kernel_size=3, strides=2, output_padding=1)),
    (2, 3, dict(kernel_size=2, strides=2, padding="same", output_padding=0)),
    (2, 4, dict(kernel_size=3, dilation_rate=2, use_bias=False)),
    (2, 3, dict(kernel_size=3, strides=3, padding="same", output_padding=(2, 1))),
    (3, 2, dict(kernel_size=2, strides=2)),
    (3, 3, dict(kernel_size=3, strides=2, padding="same", output_padding=1)),
    (3, (2, 3, 2), dict(kernel_size=(2, 3, 1), strides=(1, 2, 1), padding="same")),
    (3, 3, dict(kernel_size=2, dilation_rate=2, padding="same", activation="relu")),
]


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank,size,kwargs", TRANSPOSE, ids=[str(i) for i in range(len(TRANSPOSE))])
def test_conv_transpose_forward(rank, size, kwargs, data_format):
    cls = {1: layers.Conv1DTranspose, 2: layers.Conv2DTranspose, 3: layers.Conv3DTranspose}[rank]
    ksize = as_tuple(kwargs["kernel_size"], rank)
    x, w, b = rand(*input_shape(rank, size, 3, data_format)), rand(*ksize, 2, 3), rand(2)
    use_bias = kwargs.get("use_bias", True)
    layer = cls(2, data_format=data_format, weights=[w, b] if use_bias else [w], **kwargs)
    out = layer(x)
    ref = ref_conv_transpose(x, w, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                             kwargs.get("output_padding"), kwargs.get("dilation_rate", 1),
                             data_format == "channels_first")
    ref = RELU[kwargs.get("activation")](add_bias(ref, b, data_format) if use_bias else ref)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding,strides,kernel", [("valid", 2, 3), ("same", 2, 3), ("same", 2, 4), ("valid", 3, 2),
                                                    ("same", 1, 3)])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(padding, strides, kernel):
    """<T(x), y> = <x, C(y)> for the convolution C with the same kernel array:
    Keras's output size and alignment are the ones the convolution inverts."""
    x = rand(2, 3, 4, 3)
    conv_t = layers.Conv2DTranspose(2, kernel, strides=strides, padding=padding, use_bias=False)
    tx = npv(conv_t(x))
    y = rand(*tx.shape)
    conv = layers.Conv2D(3, kernel, strides=strides, padding=padding, use_bias=False,
                         weights=[npv(conv_t.kernel).astype(np.float32)])
    cy = npv(conv(y))
    assert cy.shape == x.shape
    np.testing.assert_allclose(np.sum(tx * y), np.sum(x * cy), rtol=1e-4)


@pytest.mark.parametrize("rank,kwargs", [
    (1, dict(kernel_size=3, strides=2, padding="same", output_padding=1)),
    (2, dict(kernel_size=(2, 3), strides=2, padding="same", data_format="channels_first")),
    (3, dict(kernel_size=2, strides=(2, 1, 2))),
], ids=["1d", "2d", "3d"])
def test_conv_transpose_gradients(rank, kwargs):
    cls = {1: layers.Conv1DTranspose, 2: layers.Conv2DTranspose, 3: layers.Conv3DTranspose}[rank]
    data_format = kwargs.get("data_format", "channels_last")
    ksize = as_tuple(kwargs["kernel_size"], rank)
    x, w, b = rand(*input_shape(rank, 3, 2, data_format)), rand(*ksize, 3, 2), rand(3)
    layer = cls(3, weights=[w, b], **kwargs)
    layer(x)  # built

    def ref(xv, wv):
        return ref_conv_transpose(xv, wv, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                                  kwargs.get("output_padding"), 1, data_format == "channels_first")
    upstream = RNG.standard_normal(ref(x, w).shape)
    xt = K.Variable(x)
    grads = K.gradients(lambda: K.sum(K.multiply(layer(xt), upstream.astype(np.float32))), [layer.kernel, xt])
    np.testing.assert_allclose(npv(grads[0]), linear_gradient(lambda e: ref(x, e), w, upstream), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(npv(grads[1]), linear_gradient(lambda e: ref(e, w), x, upstream), rtol=1e-4,
                               atol=1e-4)


# --- depthwise and separable -----------------------------------------------------------------------------------------

DEPTHWISE = [  # (rank, input size, layer kwargs)
    (1, 7, dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2)),
    (1, 7, dict(kernel_size=2, padding="causal", dilation_rate=2)),
    (2, 5, dict(kernel_size=3, depth_multiplier=2, activation="relu")),
    (2, (6, 5), dict(kernel_size=(3, 2), strides=2, padding="same")),
    (2, (6, 5), dict(kernel_size=(2, 3), strides=(1, 2), padding="same", depth_multiplier=2)),
    (2, 7, dict(kernel_size=3, dilation_rate=2, padding="same", depth_multiplier=3, use_bias=False)),
]


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank,size,kwargs", DEPTHWISE, ids=[str(i) for i in range(len(DEPTHWISE))])
def test_depthwise_conv_forward(rank, size, kwargs, data_format):
    cls = {1: layers.DepthwiseConv1D, 2: layers.DepthwiseConv2D}[rank]
    mult, ksize = kwargs.get("depth_multiplier", 1), as_tuple(kwargs["kernel_size"], rank)
    x, w, b = rand(*input_shape(rank, size, 3, data_format)), rand(*ksize, 3, mult), rand(3 * mult)
    use_bias = kwargs.get("use_bias", True)
    layer = cls(data_format=data_format, weights=[w, b] if use_bias else [w], **kwargs)
    out = layer(x)
    ref = ref_depthwise(x, w, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                        kwargs.get("dilation_rate", 1), data_format == "channels_first")
    ref = RELU[kwargs.get("activation")](add_bias(ref, b, data_format) if use_bias else ref)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-5)


SEPARABLE = [  # (rank, input size, layer kwargs)
    (1, 7, dict(kernel_size=3, padding="same", depth_multiplier=2)),
    (1, 7, dict(kernel_size=3, strides=2, padding="causal")),
    (2, 6, dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2, activation="relu")),
    (2, (6, 7), dict(kernel_size=(2, 3), dilation_rate=2)),
    (2, 5, dict(kernel_size=1, use_bias=False, depth_multiplier=3)),
]


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank,size,kwargs", SEPARABLE, ids=[str(i) for i in range(len(SEPARABLE))])
def test_separable_conv_forward(rank, size, kwargs, data_format):
    cls = {1: layers.SeparableConv1D, 2: layers.SeparableConv2D}[rank]
    mult, ksize = kwargs.get("depth_multiplier", 1), as_tuple(kwargs["kernel_size"], rank)
    x = rand(*input_shape(rank, size, 3, data_format))
    dw, pw, b = rand(*ksize, 3, mult), rand(*(1,) * rank, 3 * mult, 4), rand(4)
    use_bias = kwargs.get("use_bias", True)
    layer = cls(4, data_format=data_format, weights=[dw, pw, b] if use_bias else [dw, pw], **kwargs)
    out = layer(x)
    ref = ref_separable(x, dw, pw, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                        kwargs.get("dilation_rate", 1), data_format == "channels_first")
    ref = RELU[kwargs.get("activation")](add_bias(ref, b, data_format) if use_bias else ref)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("data_format", FORMATS)
def test_depthwise_and_separable_gradients(data_format):
    first = data_format == "channels_first"
    x = rand(*input_shape(2, 5, 2, data_format))
    dw, pw, b = rand(3, 3, 2, 2), rand(1, 1, 4, 3), rand(3)
    sep = layers.SeparableConv2D(3, 3, strides=2, padding="same", depth_multiplier=2, data_format=data_format,
                                 weights=[dw, pw, b])
    dep = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, data_format=data_format,
                                 weights=[dw, rand(4)])
    sep(x), dep(x)  # built
    for layer, ref, kernels in [
            (sep, lambda d, p: ref_separable(x, d, p, 2, "same", 1, first), [dw, pw]),
            (dep, lambda d: ref_depthwise(x, d, 1, "same", 1, first), [dw])]:
        upstream = RNG.standard_normal(ref(*kernels).shape)
        grads = K.gradients(lambda layer=layer, upstream=upstream: K.sum(K.multiply(layer(x), upstream.astype(
            np.float32))), layer.weights)
        for i, kernel in enumerate(kernels):
            def fn(e, i=i, ref=ref, kernels=kernels):
                return ref(*[e if j == i else k for j, k in enumerate(kernels)])
            # separable output is linear in each kernel separately
            np.testing.assert_allclose(npv(grads[i]), linear_gradient(fn, kernel, upstream), rtol=1e-4, atol=1e-4)


# --- compiled code and training ------------------------------------------------------------------------------------

def test_conv_layers_inside_compiled_code():
    x = rand(2, 5, 5, 4)
    stack = [layers.Conv2D(4, 3, padding="same", groups=2), layers.DepthwiseConv2D(2, depth_multiplier=2),
             layers.SeparableConv2D(3, 2, padding="same"), layers.Conv2DTranspose(2, 3, strides=2, output_padding=1)]
    lifted = layers.Conv3DTranspose(2, 2, strides=2, padding="same")

    def run(t):
        for layer in stack:
            t = layer(t)
        return lifted(K.expand_dims(t, 1))
    eager = npv(run(x))
    assert eager.shape == (2, 2, 20, 20, 2)
    np.testing.assert_allclose(npv(K.jit(run)(x)), eager, rtol=1e-4, atol=1e-5)


def test_conv_model_fits():
    set_random_seed(1)
    x = RNG.standard_normal((32, 6, 6, 2)).astype(np.float32)
    y = x[:, :3, :3, 0].sum(axis=(1, 2))[:, None]
    model = Sequential([
        Input((6, 6, 2)),
        layers.Conv2D(4, 3, padding="same", groups=2, activation="relu"),
        layers.SeparableConv2D(4, 2, depth_multiplier=2),
        layers.Conv2DTranspose(2, 3, strides=2, padding="same"),
        layers.Reshape((10, 10, 1, 2)),
        layers.Conv3DTranspose(1, (1, 1, 2), strides=(1, 1, 2)),
        layers.Reshape((10, 20)),
        layers.Conv1D(2, 3, padding="causal", dilation_rate=2),
        layers.Flatten(),
        layers.Dense(1),
    ])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=8, epochs=15, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * before


# --- weights, shapes, configs ---------------------------------------------------------------------------------------

WEIGHTS = [  # (layer, input shape, [(name, shape)], parameter count)
    (lambda: layers.Conv2D(8, 3), (None, 9, 9, 3), [("kernel", (3, 3, 3, 8)), ("bias", (8,))], 224),
    (lambda: layers.Conv2D(8, 3, data_format="channels_first", groups=4), (None, 4, 9, 9),
     [("kernel", (3, 3, 1, 8)), ("bias", (8,))], 80),
    (lambda: layers.Conv1D(5, 4, use_bias=False), (None, 10, 2), [("kernel", (4, 2, 5))], 40),
    (lambda: layers.Conv3D(2, (1, 2, 3)), (None, 4, 4, 4, 3), [("kernel", (1, 2, 3, 3, 2)), ("bias", (2,))], 38),
    (lambda: layers.Conv2DTranspose(8, 3), (None, 5, 5, 3), [("kernel", (3, 3, 8, 3)), ("bias", (8,))], 224),
    (lambda: layers.Conv1DTranspose(4, 2, data_format="channels_first"), (None, 3, 5),
     [("kernel", (2, 4, 3)), ("bias", (4,))], 28),
    (lambda: layers.Conv3DTranspose(2, 2), (None, 3, 3, 3, 5), [("kernel", (2, 2, 2, 2, 5)), ("bias", (2,))], 82),
    (lambda: layers.SeparableConv2D(8, 3, depth_multiplier=2), (None, 9, 9, 3),
     [("depthwise_kernel", (3, 3, 3, 2)), ("pointwise_kernel", (1, 1, 6, 8)), ("bias", (8,))], 110),
    (lambda: layers.SeparableConv1D(4, 3), (None, 9, 5),
     [("depthwise_kernel", (3, 5, 1)), ("pointwise_kernel", (1, 5, 4)), ("bias", (4,))], 39),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (None, 9, 9, 3), [("kernel", (3, 3, 3, 2)),
                                                                             ("bias", (6,))], 60),
    (lambda: layers.DepthwiseConv1D(2, data_format="channels_first"), (None, 4, 6),
     [("kernel", (2, 4, 1)), ("bias", (4,))], 12),
]


@pytest.mark.parametrize("make,shape,expected,count", WEIGHTS, ids=[str(i) for i in range(len(WEIGHTS))])
def test_weight_names_shapes_order_and_counts(make, shape, expected, count):
    layer = make()
    layer.build(shape)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == expected
    assert layer.count_params() == count
    assert all(v.trainable for v in layer.weights)


def test_depthwise_kernel_keras2_attribute():
    layer = layers.DepthwiseConv2D(3)
    layer.build((None, 5, 5, 2))
    assert layer.depthwise_kernel is layer.kernel


SYMBOLIC = [  # (layer, input shape without batch, expected output shape)
    (lambda: layers.Conv2D(4, 3), (None, None, 3), (None, None, None, 4)),
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same"), (9, None, 3), (None, 5, None, 4)),
    (lambda: layers.Conv2D(4, (3, 2), data_format="channels_first"), (3, 8, 8), (None, 4, 6, 7)),
    (lambda: layers.Conv1D(4, 3, padding="causal", strides=2), (None, 2), (None, None, 4)),
    (lambda: layers.Conv1D(4, 3, dilation_rate=2), (10, 2), (None, 6, 4)),
    (lambda: layers.Conv3D(4, 2, groups=2), (5, None, 5, 2), (None, 4, None, 4, 4)),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2), (5, None, 3), (None, 11, None, 4)),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=0), (5, 4, 3),
     (None, 9, 7, 4)),
    (lambda: layers.Conv1DTranspose(4, 2, strides=3), (None, 3), (None, None, 4)),
    (lambda: layers.Conv3DTranspose(4, 2, strides=2, data_format="channels_first"), (3, 2, None, 4),
     (None, 4, 4, None, 8)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=3), (None, 7, 2), (None, None, 5, 6)),
    (lambda: layers.DepthwiseConv1D(3, padding="same", data_format="channels_first"), (2, None), (None, 2, None)),
    (lambda: layers.SeparableConv2D(5, 3, strides=2, padding="same"), (7, 7, 2), (None, 4, 4, 5)),
    (lambda: layers.SeparableConv1D(5, 3), (None, 2), (None, None, 5)),
]


@pytest.mark.parametrize("make,shape,expected", SYMBOLIC, ids=[str(i) for i in range(len(SYMBOLIC))])
def test_symbolic_output_shapes(make, shape, expected):
    out = make()(Input(shape))
    assert tuple(out.shape) == expected


CONFIGS = [  # (layer, input shape)
    (lambda: layers.Conv1D(3, 3, padding="causal", dilation_rate=2, activation="relu",
                           kernel_regularizer=regularizers.l2(0.1)), (2, 8, 2)),
    (lambda: layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", groups=2, use_bias=False,
                           data_format="channels_first"), (2, 4, 6, 5)),
    (lambda: layers.Conv3D(2, 2, activation="tanh"), (1, 3, 4, 3, 2)),
    (lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1), (2, 3, 4, 2)),
    (lambda: layers.Conv1DTranspose(2, 3, strides=2), (2, 4, 3)),
    (lambda: layers.Conv3DTranspose(2, 2, strides=2, padding="same", data_format="channels_first"), (1, 2, 2, 3, 2)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"), (2, 5, 5, 2)),
    (lambda: layers.DepthwiseConv1D(3, dilation_rate=2), (2, 7, 3)),
    (lambda: layers.SeparableConv2D(3, 3, depth_multiplier=2, strides=2), (2, 6, 6, 2)),
    (lambda: layers.SeparableConv1D(3, 2, padding="causal"), (2, 6, 2)),
]


@pytest.mark.parametrize("make,shape", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_config_round_trip(make, shape):
    layer = make()
    x = rand(*shape)
    out = npv(layer(x))
    config = json.loads(json.dumps(layer.get_config()))  # plain JSON values
    clone = type(layer).from_config(config)
    clone.build(shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(npv(clone(x)), out, rtol=1e-6, atol=1e-6)
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == clone.get_config()


def test_conv2d_config_contents():
    config = layers.Conv2D(4, 3, name="c").get_config()
    assert config["kernel_size"] == (3, 3) and config["strides"] == (1, 1) and config["dilation_rate"] == (1, 1)
    assert config["padding"] == "valid" and config["groups"] == 1 and config["activation"] == "linear"
    assert config["data_format"] == K.image_data_format()
    assert layers.Conv2DTranspose(2, 3).get_config()["output_padding"] is None
    assert layers.Conv2DTranspose(2, 3, strides=2, output_padding=1).get_config()["output_padding"] == (1, 1)


def test_keras2_and_keras3_configs_load():
    common = {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last",
              "dilation_rate": [1, 1], "activation": "relu", "use_bias": True, "bias_initializer": {
                  "class_name": "Zeros", "config": {}}, "bias_regularizer": None, "activity_regularizer": None,
              "bias_constraint": None, "trainable": True, "dtype": "float32"}
    # Keras 2 wrote the Conv base's keys into its depthwise and separable configs too
    depthwise = layers.deserialize({"class_name": "DepthwiseConv2D", "config": {
        **common, "name": "dw", "batch_input_shape": [None, 5, 5, 2], "groups": 1, "depth_multiplier": 2,
        "depthwise_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "depthwise_regularizer": None, "depthwise_constraint": None}})
    separable = layers.deserialize({"class_name": "SeparableConv2D", "config": {
        **common, "name": "sep", "filters": 4, "groups": 1, "depth_multiplier": 1,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "kernel_regularizer": None, "kernel_constraint": None,
        "depthwise_initializer": "ones", "pointwise_initializer": "ones", "depthwise_regularizer": None,
        "pointwise_regularizer": None, "depthwise_constraint": None, "pointwise_constraint": None}})
    assert (depthwise.kernel_size, depthwise.depth_multiplier, depthwise.padding) == ((3, 3), 2, "same")
    assert (separable.filters, separable.name) == (4, "sep")
    x = rand(1, 4, 4, 2)
    np.testing.assert_allclose(npv(separable(x)), np.maximum(ref_separable(x, np.ones((3, 3, 2, 1)),
                                                                           np.ones((1, 1, 2, 4)), 1, "same"), 0),
                               rtol=1e-5, atol=1e-5)
    keras3 = layers.deserialize({"module": "keras.layers", "class_name": "Conv2DTranspose", "registered_name": None,
                                 "config": {**common, "name": "up", "filters": 2, "strides": [2, 2],
                                            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                                      "config": {"name": "float32"}, "registered_name": None},
                                            "kernel_initializer": {"module": "keras.initializers",
                                                                   "class_name": "Ones", "config": {},
                                                                   "registered_name": None},
                                            "kernel_regularizer": None, "kernel_constraint": None}})
    assert type(keras3) is layers.Conv2DTranspose and keras3.strides == (2, 2) and keras3.output_padding is None
    assert K.int_shape(keras3(x)) == (1, 8, 8, 2)


def test_keras_aliases():
    assert layers.Convolution1D is layers.Conv1D
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose is layers.Deconvolution3D
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the modern call through a legacy name does not warn
        assert type(layers.Convolution2D(4, (3, 3))) is layers.Conv2D
        assert type(layers.Convolution3D(4, 3, 2)) is layers.Conv3D  # (filters, kernel_size, strides)
        assert type(layers.SeparableConvolution2D(4, 3)) is layers.SeparableConv2D
        assert type(layers.Deconvolution2D(4, 3)) is layers.Conv2DTranspose


# --- Keras 1/2 spellings ------------------------------------------------------------------------------------------

def deprecated(make, *patterns):
    """make(), whose DeprecationWarnings must include one matching each pattern."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        made = make()
    messages = [str(r.message) for r in record if issubclass(r.category, DeprecationWarning)]
    for pattern in patterns:
        assert any(re.search(pattern, m) for m in messages), (pattern, messages)
    return made


def test_keras1_convolution2d():
    layer = deprecated(lambda: layers.Convolution2D(4, 3, 2, border_mode="same", subsample=(2, 2), dim_ordering="th",
                                                    init="ones", W_regularizer=regularizers.l2(0.5), bias=False),
                       re.escape("Conv2D(4, (3, 2))"), "padding=", "strides=", "data_format='channels_first'",
                       "kernel_initializer=", "kernel_regularizer=", "use_bias=")
    assert type(layer) is layers.Conv2D
    assert (layer.kernel_size, layer.strides, layer.padding, layer.data_format, layer.use_bias) == (
        (3, 2), (2, 2), "same", "channels_first", False)
    x = rand(1, 2, 5, 4)
    np.testing.assert_allclose(npv(layer(x)), ref_conv(x, np.ones((3, 2, 2, 4)), 2, "same", 1, 1, True), rtol=1e-5)
    assert len(layer.losses) == 1


def test_keras1_keyword_kernels_and_other_names():
    assert deprecated(lambda: layers.Conv2D(4, nb_row=3, nb_col=2), r"kernel_size=\(3, 2\)").kernel_size == (3, 2)
    conv1 = deprecated(lambda: layers.Convolution1D(nb_filter=4, filter_length=3, subsample_length=2,
                                                    b_regularizer="l2"),
                       "filters=", "kernel_size=", "strides=", "bias_regularizer=")
    assert (conv1.filters, conv1.kernel_size, conv1.strides) == (4, (3,), (2,))
    assert conv1.bias_regularizer is not None
    conv3 = deprecated(lambda: layers.Convolution3D(2, 3, 2, 1), re.escape("Conv3D(2, (3, 2, 1))"))
    assert conv3.kernel_size == (3, 2, 1)
    conv3 = deprecated(lambda: layers.Conv3D(2, kernel_dim1=1, kernel_dim2=2, kernel_dim3=3),
                       re.escape("kernel_size=(1, 2, 3)"))
    assert conv3.kernel_size == (1, 2, 3)
    atrous = deprecated(lambda: layers.AtrousConvolution2D(2, 3, 3, atrous_rate=(2, 2)),
                        r"Conv2D\(\.\.\., dilation_rate=", "dilation_rate=")
    assert type(atrous) is layers.Conv2D and (atrous.kernel_size, atrous.dilation_rate) == ((3, 3), (2, 2))
    assert deprecated(lambda: layers.AtrousConvolution1D(2, 3, atrous_rate=2), "dilation_rate").dilation_rate == (2,)
    deconv = deprecated(lambda: layers.Deconvolution2D(3, 3, 3, (None, 8, 8, 3), border_mode="same",
                                                       subsample=(2, 2)),
                        "output_shape=.*ignored", re.escape("Conv2DTranspose(3, (3, 3))"))
    assert type(deconv) is layers.Conv2DTranspose and deconv.kernel_size == (3, 3) and deconv.strides == (2, 2)
    assert deconv.compute_output_shape((None, 4, 4, 2)) == (None, 8, 8, 3)
    sep = deprecated(lambda: layers.SeparableConvolution2D(3, 2, 2, init="ones", dim_ordering="tf"),
                     "depthwise_initializer=.*pointwise_initializer=", "data_format='channels_last'")
    assert (sep.kernel_size, sep.data_format) == ((2, 2), "channels_last")
    sep.build((None, 4, 4, 2))
    assert np.all(sep.depthwise_kernel.numpy() == 1) and np.all(sep.pointwise_kernel.numpy() == 1)


def test_legacy_spelling_errors():
    with pytest.raises(TypeError, match="kernel_size"):
        layers.Conv2D(4, (3, 3), nb_row=3, nb_col=3)
    with pytest.raises(TypeError, match="nb_row, nb_col"):
        layers.Conv2D(4, nb_row=3)
    with pytest.raises(TypeError, match="data_format"):
        layers.Conv2D(4, 3, dim_ordering="tf", data_format="channels_last")
    with pytest.raises(ValueError, match="dim_ordering must be"):
        layers.Conv2D(4, 3, dim_ordering="xy")
    with pytest.raises(TypeError, match="by keyword"):
        layers.Convolution2D(4, 3, 3, "same")
    with pytest.raises(TypeError, match="padding"):
        layers.Conv2D(4, 3, border_mode="same", padding="same")


# --- errors -----------------------------------------------------------------------------------------------------------

def test_wrong_input_rank_names_the_layer():
    with pytest.raises(ValueError, match=r'"my_conv".*expected ndim=4, found ndim=3'):
        layers.Conv2D(2, 3, name="my_conv")(rand(2, 5, 5))
    with pytest.raises(ValueError, match=r'"tconv".*expected ndim=3'):
        layers.Conv1DTranspose(2, 3, name="tconv")(Input((4, 4, 2)))


def test_wrong_channel_count_after_build_names_the_layer():
    layer = layers.SeparableConv2D(2, 3, name="sep")
    layer(rand(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r'"sep".*axis -1.*value 3'):
        layer(rand(1, 5, 5, 4))


def test_input_too_small_and_unknown_channels():
    with pytest.raises(ValueError, match="too small.*padding='same'"):
        layers.Conv2D(2, 5, name="small")(rand(1, 4, 4, 1))
    with pytest.raises(ValueError, match="small"):
        layers.Conv3D(2, 3, dilation_rate=2)(Input((4, 4, 4, 1)))
    with pytest.raises(ValueError, match="known channel axis"):
        layers.Conv2D(2, 3)(Input((5, 5, None)))


def test_group_errors():
    with pytest.raises(ValueError, match="filters must be divisible by groups"):
        layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="3 channels are not divisible by groups=2"):
        layers.Conv2D(4, 3, groups=2)(rand(1, 5, 5, 3))


@pytest.mark.parametrize("make,error,match", [
    (lambda: layers.Conv2D(0, 3), ValueError, "Conv2D: filters must be a positive integer"),
    (lambda: layers.Conv2D(2, (3, 3, 3)), ValueError, "Conv2D: kernel_size must be .* 2 positive ints"),
    (lambda: layers.Conv2D(2, 0), ValueError, "kernel_size"),
    (lambda: layers.Conv1D(2, 3, strides=2, dilation_rate=2), ValueError, "Conv1D: strides > 1 cannot be combined"),
    (lambda: layers.Conv2D(2, 3, padding="causal"), ValueError, "Conv2D: padding must be one of valid, same;"),
    (lambda: layers.Conv1DTranspose(2, 3, padding="causal"), ValueError, "padding must be one of valid, same;"),
    (lambda: layers.Conv1D(2, 3, padding="full"), ValueError, "valid, same, causal"),
    (lambda: layers.Conv2D(2, 3, data_format="NHWC"), ValueError, "Conv2D: data_format must be"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), ValueError, "smaller than its stride"),
    (lambda: layers.Conv2DTranspose(2, 3, output_padding=(0, -1)), ValueError, "non-negative"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), ValueError, "depth_multiplier must be a positive"),
    (lambda: layers.SeparableConv1D(2, 3, depth_multiplier=1.5), ValueError, "depth_multiplier"),
    (lambda: layers.Conv2D(2, 3, bogus=1), TypeError, "bogus"),
])
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
