"""core.layers' reshaping layers on the active engine: ZeroPadding, Cropping and
UpSampling (nearest, and UpSampling2D's bilinear as Keras 3 resizes: half-pixel
centres) against float64 loops over the output positions, both data formats,
their input gradients, symbolic shapes, configs, Keras 1 spellings and errors."""

import itertools
import json
import math
import warnings

import numpy as np
import pytest

import kbackend as K
from core import Sequential, layers
from core.layers import Input

RNG = np.random.default_rng(5)
FORMATS = ["channels_last", "channels_first"]


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def to_last(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, 1, -1)


def to_format(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def spatial_input(rank, data_format, channels=2):
    return to_format(rand(2, *(4, 3, 5)[:rank], channels), data_format)


def input_gradient(layer, x, out_shape):
    """(upstream, d sum(layer(x) * upstream) / dx) from the engine."""
    upstream = rand(*out_shape)
    v = K.Variable(x)
    (grad,) = K.gradients(lambda: K.sum(K.multiply(layer(v), upstream)), [v])
    return upstream.astype(np.float64), npv(grad)


# --- references: each output position says which input position(s) it reads ---------------------------------------

def pad_reference(x, pairs, data_format):
    x = to_last(x.astype(np.float64), data_format)
    sizes = tuple(n + a + b for n, (a, b) in zip(x.shape[1:-1], pairs))
    out = np.zeros((x.shape[0],) + sizes + (x.shape[-1],))
    for pos in itertools.product(*map(range, sizes)):
        src = tuple(p - a for p, (a, _) in zip(pos, pairs))
        if all(0 <= s < n for s, n in zip(src, x.shape[1:-1])):
            out[(slice(None),) + pos] = x[(slice(None),) + src]
    return to_format(out, data_format)


def crop_reference(x, pairs, data_format):
    x = to_last(x.astype(np.float64), data_format)
    sizes = tuple(n - a - b for n, (a, b) in zip(x.shape[1:-1], pairs))
    out = np.zeros((x.shape[0],) + sizes + (x.shape[-1],))
    for pos in itertools.product(*map(range, sizes)):
        out[(slice(None),) + pos] = x[(slice(None),) + tuple(p + a for p, (a, _) in zip(pos, pairs))]
    return to_format(out, data_format)


def linear_taps(i, n, scale):
    """[(input index, weight)] that output i of a half-pixel linear resize by scale reads."""
    src = min(max((i + 0.5) / scale - 0.5, 0.0), n - 1.0)
    low = math.floor(src)
    frac = src - low
    return [(low, 1 - frac), (min(low + 1, n - 1), frac)]


def nearest_taps(i, n, scale):
    return [(i // scale, 1.0)]


def upsample_reference(x, scales, data_format, taps):
    """out[p] = sum over the product of each axis's taps of weight * x[source]; also the
    adjoint map, to give the input gradient for an upstream array."""
    last = to_last(x.astype(np.float64), data_format)
    sizes = tuple(n * s for n, s in zip(last.shape[1:-1], scales))
    contributions = {}
    for pos in itertools.product(*map(range, sizes)):
        per_axis = [taps(p, n, s) for p, n, s in zip(pos, last.shape[1:-1], scales)]
        contributions[pos] = [(tuple(j for j, _ in combo), math.prod(w for _, w in combo))
                              for combo in itertools.product(*per_axis)]
    out = np.zeros((last.shape[0],) + sizes + (last.shape[-1],))
    for pos, terms in contributions.items():
        for src, w in terms:
            out[(slice(None),) + pos] += w * last[(slice(None),) + src]

    def adjoint(upstream):
        up = to_last(upstream, data_format)
        grad = np.zeros_like(last)
        for pos, terms in contributions.items():
            for src, w in terms:
                grad[(slice(None),) + src] += w * up[(slice(None),) + pos]
        return to_format(grad, data_format)
    return to_format(out, data_format), adjoint


# --- ZeroPadding --------------------------------------------------------------------------------------------------

PADDINGS = [  # class, padding argument, the (before, after) pairs it means
    (layers.ZeroPadding1D, 2, ((2, 2),)),
    (layers.ZeroPadding1D, (0, 3), ((0, 3),)),
    (layers.ZeroPadding2D, 1, ((1, 1), (1, 1))),
    (layers.ZeroPadding2D, (2, 1), ((2, 2), (1, 1))),
    (layers.ZeroPadding2D, ((1, 0), (0, 2)), ((1, 0), (0, 2))),
    (layers.ZeroPadding2D, (1, (2, 0)), ((1, 1), (2, 0))),
    (layers.ZeroPadding3D, 1, ((1, 1),) * 3),
    (layers.ZeroPadding3D, ((0, 1), (2, 0), (1, 1)), ((0, 1), (2, 0), (1, 1))),
]


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("cls, padding, pairs", PADDINGS, ids=[f"{c.__name__}-{p}" for c, p, _ in PADDINGS])
def test_zero_padding_forward_and_gradient(cls, padding, pairs, data_format):
    x = spatial_input(len(pairs), data_format)
    layer = cls(padding, data_format=data_format)
    out = layer(x)
    ref = pad_reference(x, pairs, data_format)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-6)
    upstream, grad = input_gradient(layer, x, ref.shape)
    # each input entry appears once in the output, at its shifted place
    np.testing.assert_allclose(grad, crop_reference(upstream, pairs, data_format), rtol=1e-6)


# --- Cropping -----------------------------------------------------------------------------------------------------

CROPPINGS = [
    (layers.Cropping1D, 1, ((1, 1),)),
    (layers.Cropping1D, (2, 0), ((2, 0),)),
    (layers.Cropping2D, 1, ((1, 1), (1, 1))),
    (layers.Cropping2D, (0, 1), ((0, 0), (1, 1))),
    (layers.Cropping2D, ((2, 1), (0, 2)), ((2, 1), (0, 2))),
    (layers.Cropping3D, ((1, 2), (0, 1), (2, 0)), ((1, 2), (0, 1), (2, 0))),
]


def with_formats(cases):
    """Each case in both data formats, except the 1-D layers that (as Keras) have no
    data_format and always work on axis 1."""
    one_d = (layers.Cropping1D, layers.UpSampling1D)
    return [pytest.param(*case, fmt, id=f"{case[0].__name__}-{case[1]}-{fmt}")
            for case in cases for fmt in FORMATS if not (case[0] in one_d and fmt == "channels_first")]


def make_layer(cls, arg, data_format, **kwargs):
    if cls in (layers.Cropping1D, layers.UpSampling1D):
        return cls(arg, **kwargs)
    return cls(arg, data_format=data_format, **kwargs)


@pytest.mark.parametrize("cls, cropping, pairs, data_format", with_formats(CROPPINGS))
def test_cropping_forward_and_gradient(cls, cropping, pairs, data_format):
    layer = make_layer(cls, cropping, data_format)
    x = spatial_input(len(pairs), data_format)
    out = layer(x)
    ref = crop_reference(x, pairs, data_format)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-6)
    upstream, grad = input_gradient(layer, x, ref.shape)
    # the kept entries get the upstream gradient, the cropped ones nothing
    np.testing.assert_allclose(grad, pad_reference(upstream, pairs, data_format), rtol=1e-6)


def test_cropping_undoes_zero_padding():
    x = rand(2, 4, 3, 2)
    pairs = ((1, 2), (0, 3))
    np.testing.assert_array_equal(npv(layers.Cropping2D(pairs)(layers.ZeroPadding2D(pairs)(x))), x)


# --- UpSampling ---------------------------------------------------------------------------------------------------

UPSAMPLINGS = [
    (layers.UpSampling1D, 3, (3,)),
    (layers.UpSampling2D, 2, (2, 2)),
    (layers.UpSampling2D, (1, 3), (1, 3)),
    (layers.UpSampling3D, (2, 1, 2), (2, 1, 2)),
]


@pytest.mark.parametrize("cls, size, scales, data_format", with_formats(UPSAMPLINGS))
def test_nearest_upsampling_forward_and_gradient(cls, size, scales, data_format):
    layer = make_layer(cls, size, data_format)
    x = spatial_input(len(scales), data_format)
    out = layer(x)
    ref, adjoint = upsample_reference(x, scales, data_format, nearest_taps)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-6)
    upstream, grad = input_gradient(layer, x, ref.shape)
    np.testing.assert_allclose(grad, adjoint(upstream), rtol=1e-5, atol=1e-6)  # each block's upstream summed


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 4)])
def test_bilinear_upsampling_forward_and_gradient(size, data_format):
    x = to_format(rand(2, 3, 4, 2), data_format)
    layer = layers.UpSampling2D(size, data_format=data_format, interpolation="bilinear")
    out = layer(x)
    ref, adjoint = upsample_reference(x, size, data_format, linear_taps)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-6)
    upstream, grad = input_gradient(layer, x, ref.shape)
    np.testing.assert_allclose(grad, adjoint(upstream), rtol=1e-5, atol=1e-5)


def test_bilinear_uses_half_pixel_centres_with_clamped_edges():
    # [0, 1] doubled: outputs sample the input at -0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1)
    x = np.array([0.0, 1.0], np.float32).reshape(1, 1, 2, 1)
    out = layers.UpSampling2D((1, 2), data_format="channels_last", interpolation="bilinear")(x)
    np.testing.assert_allclose(npv(out).ravel(), [0.0, 0.25, 0.75, 1.0], atol=1e-7)
    # tripled: samples at -1/3, 0, 1/3, 2/3, 1, 4/3
    out = layers.UpSampling2D((1, 3), data_format="channels_last", interpolation="bilinear")(x)
    np.testing.assert_allclose(npv(out).ravel(), [0, 0, 1 / 3, 2 / 3, 1, 1], atol=1e-6)


def test_upsampling_and_cropping_in_a_compiled_function():
    x = rand(2, 4, 3, 2)
    for layer in (layers.UpSampling2D((2, 3), interpolation="bilinear"), layers.Cropping2D(((1, 0), (0, 1))),
                  layers.ZeroPadding2D(1), layers.UpSampling2D(2)):
        np.testing.assert_allclose(npv(K.jit(layer)(x)), npv(layer(x)), rtol=1e-6, atol=1e-6)


def test_reshaping_layers_in_a_trained_model():
    model = Sequential([Input(shape=(4, 4, 1)), layers.ZeroPadding2D(1), layers.Cropping2D(((1, 0), (0, 1))),
                        layers.UpSampling2D(interpolation="bilinear"), layers.Flatten(), layers.Dense(1)])
    x, y = rand(8, 4, 4, 1), rand(8, 1)
    model.compile(optimizer="sgd", loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    np.testing.assert_allclose(model.predict(x, verbose=0), npv(model(x)), rtol=1e-5, atol=1e-5)


# --- shapes, weights, configs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, shape, expected", [
    (layers.ZeroPadding1D((1, 2)), (None, 3), (None, None, 3)),
    (layers.ZeroPadding1D((1, 2)), (5, 3), (None, 8, 3)),
    (layers.ZeroPadding2D(((1, 0), (2, 2)), data_format="channels_first"), (3, None, 4), (None, 3, None, 8)),
    (layers.ZeroPadding3D(1), (2, None, 4, 1), (None, 4, None, 6, 1)),
    (layers.Cropping1D((1, 2)), (None, 3), (None, None, 3)),
    (layers.Cropping2D(((1, 0), (2, 2))), (None, 6, 3), (None, None, 2, 3)),
    (layers.Cropping3D(1, data_format="channels_first"), (2, 5, None, 4), (None, 2, 3, None, 2)),
    (layers.UpSampling1D(3), (None, 2), (None, None, 2)),
    (layers.UpSampling1D(3), (4, 2), (None, 12, 2)),
    (layers.UpSampling2D((2, 3), interpolation="bilinear"), (5, None, 1), (None, 10, None, 1)),
    (layers.UpSampling3D(2, data_format="channels_first"), (1, 2, None, 3), (None, 1, 4, None, 6)),
], ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else None)
def test_symbolic_output_shapes(layer, shape, expected):
    assert layer(Input(shape=shape)).shape == expected


def test_bilinear_upsampling_of_an_unknown_size_runs():
    model = Sequential([Input(shape=(None, None, 1)), layers.UpSampling2D(interpolation="bilinear")])
    x = rand(1, 3, 2, 1)
    ref, _ = upsample_reference(x, (2, 2), "channels_last", linear_taps)
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer, expected", [
    (layers.ZeroPadding1D(2), {"padding": (2, 2), "data_format": "channels_last"}),
    (layers.ZeroPadding2D((1, 2)), {"padding": ((1, 1), (2, 2)), "data_format": "channels_last"}),
    (layers.ZeroPadding3D(((0, 1), 2, (3, 0)), data_format="channels_first"),
     {"padding": ((0, 1), (2, 2), (3, 0)), "data_format": "channels_first"}),
    (layers.Cropping1D(2), {"cropping": (2, 2)}),
    (layers.Cropping2D(((1, 0), (0, 2))), {"cropping": ((1, 0), (0, 2)), "data_format": "channels_last"}),
    (layers.Cropping3D(), {"cropping": ((1, 1), (1, 1), (1, 1)), "data_format": "channels_last"}),
    (layers.UpSampling1D(4), {"size": 4}),
    (layers.UpSampling2D(3, interpolation="bilinear"),
     {"size": (3, 3), "data_format": "channels_last", "interpolation": "bilinear"}),
    (layers.UpSampling3D((1, 2, 3)), {"size": (1, 2, 3), "data_format": "channels_last"}),
], ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else None)
def test_configs_as_keras_and_round_trip(layer, expected):
    config = layer.get_config()
    assert {k: v for k, v in config.items() if k not in ("name", "trainable", "dtype")} == expected
    rank = layer.input_spec.ndim - 2
    x = rand(1, *(5, 4, 6)[:rank], 2)
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))  # tuples come back as lists
    assert type(clone) is type(layer)
    np.testing.assert_allclose(npv(clone(x)), npv(layer(x)), rtol=1e-6)
    assert layer.weights == [] and layer.count_params() == 0


def test_keras_1_spellings_warn_and_work():
    with pytest.warns(DeprecationWarning, match=r"UpSampling1D\(size=\.\.\.\)"):
        assert layers.UpSampling1D(length=3).size == 3
    with pytest.warns(DeprecationWarning, match="data_format='channels_first'"):
        assert layers.UpSampling2D(dim_ordering="th").data_format == "channels_first"
    with pytest.warns(DeprecationWarning, match="dim_ordering"):
        assert layers.Cropping2D(((1, 1), (0, 0)), dim_ordering="tf").data_format == "channels_last"
    with pytest.warns(DeprecationWarning, match=r"padding=\(\(1, 2\), \(3, 4\)\)"):
        assert layers.ZeroPadding2D((1, 2, 3, 4)).padding == ((1, 2), (3, 4))
    with pytest.warns(DeprecationWarning, match="Keras 1"):
        layer = layers.ZeroPadding2D({"top_pad": 1, "right_pad": 2})
    assert layer.padding == ((1, 0), (0, 2))
    with pytest.warns(DeprecationWarning, match="Keras 1"):
        assert layers.ZeroPadding1D({"left_pad": 3}).padding == (3, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match="unknown padding key"):
            layers.ZeroPadding2D({"top": 1})


# --- errors -------------------------------------------------------------------------------------------------------

def test_wrong_input_rank_names_the_layer():
    with pytest.raises(ValueError, match=r'"pad2".*expected ndim=4, found ndim=3'):
        layers.ZeroPadding2D(name="pad2")(rand(2, 5, 3))
    with pytest.raises(ValueError, match=r'"up1".*expected ndim=3, found ndim=4'):
        layers.UpSampling1D(name="up1")(Input(shape=(4, 4, 2)))
    with pytest.raises(ValueError, match=r'"crop3".*expected ndim=5'):
        layers.Cropping3D(name="crop3")(rand(1, 4, 4, 2))


def test_cropping_everything_names_the_layer():
    with pytest.raises(ValueError, match="crop_all.*removes 4 of the 4 entries"):
        layers.Cropping1D((2, 2), name="crop_all")(rand(1, 4, 2))
    with pytest.raises(ValueError, match="crop_sym.*removes 3 of the 3 entries"):
        layers.Cropping2D(((0, 0), (1, 2)), name="crop_sym")(Input(shape=(5, 3, 1)))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.ZeroPadding2D(-1), "ZeroPadding2D: padding must be a non-negative int"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), "ZeroPadding2D: padding must be"),
    (lambda: layers.ZeroPadding1D((1, 2, 3)), r"ZeroPadding1D: padding must be .*\(before, after\)"),
    (lambda: layers.Cropping2D(((1, 2, 3), (0, 0))), "Cropping2D: cropping must be"),
    (lambda: layers.Cropping3D(1.5), "Cropping3D: cropping must be"),
    (lambda: layers.UpSampling2D(0), "UpSampling2D: size must be a positive int"),
    (lambda: layers.UpSampling3D((2, 2)), "UpSampling3D: size must be .* sequence of 3"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), "interpolation must be 'nearest' or 'bilinear'"),
    (lambda: layers.ZeroPadding3D(data_format="NCDHW"), "ZeroPadding3D: data_format must be one of"),
])
def test_bad_arguments_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()
