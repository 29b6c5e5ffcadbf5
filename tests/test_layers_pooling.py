"""core.layers' pooling layers on the active engine: windowed max / average pooling
against float64 loops over the output positions (both paddings, both data formats),
their input gradients, global pooling (keepdims, GlobalAveragePooling1D's mask),
symbolic shapes, configs, Keras aliases, Keras 1/2 keywords and errors."""

import itertools
import json
import math
import warnings

import numpy as np
import pytest

import kbackend as K
from core import layers
from core import Sequential
from core.layers import Input

RNG = np.random.default_rng(4)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def to_last(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, 1, -1)


def to_format(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def windows(sizes, pool, strides, padding):
    """{output position: [input positions of its window inside the input]}, by TensorFlow's
    rule: "same" gives ceil(n / s) outputs with the smaller half of the padding before."""
    per_axis = []
    for n, p, s in zip(sizes, pool, strides):
        if padding == "valid":
            count, before = (n - p) // s + 1, 0
        else:
            count = math.ceil(n / s)
            before = max((count - 1) * s + p - n, 0) // 2
        per_axis.append([[j for j in range(o * s - before, o * s - before + p) if 0 <= j < n] for o in range(count)])
    return {out: list(itertools.product(*(per_axis[a][o] for a, o in enumerate(out))))
            for out in itertools.product(*(range(len(w)) for w in per_axis))}


def pool_reference(x, pool, strides, padding, mode, data_format):
    x = to_last(x.astype(np.float64), data_format)
    wins = windows(x.shape[1:-1], pool, strides, padding)
    out_sizes = tuple(max(o[a] for o in wins) + 1 for a in range(len(pool)))
    out = np.zeros((x.shape[0],) + out_sizes + (x.shape[-1],))
    for pos, cells in wins.items():
        values = np.stack([x[(slice(None),) + cell] for cell in cells])  # (cells, batch, channels)
        out[(slice(None),) + pos] = values.max(axis=0) if mode == "max" else values.mean(axis=0)
    return to_format(out, data_format)


def pool_input_gradient(x, upstream, pool, strides, padding, mode, data_format):
    """d sum(out * upstream) / dx: max sends each upstream value to its window's
    largest cell, average spreads it evenly over the window's cells in the input."""
    x, upstream = to_last(x.astype(np.float64), data_format), to_last(upstream, data_format)
    grad = np.zeros_like(x)
    for pos, cells in windows(x.shape[1:-1], pool, strides, padding).items():
        g = upstream[(slice(None),) + pos]  # (batch, channels)
        if mode == "avg":
            for cell in cells:
                grad[(slice(None),) + cell] += g / len(cells)
            continue
        values = np.stack([x[(slice(None),) + cell] for cell in cells])
        best = values.argmax(axis=0)
        for b, c in np.ndindex(best.shape):
            grad[(b,) + cells[best[b, c]] + (c,)] += g[b, c]
    return to_format(grad, data_format)


POOLS = {  # class: (channels-last input shape, pool_size, strides)
    layers.MaxPooling1D: ((2, 7, 3), 3, 2),
    layers.AveragePooling1D: ((2, 7, 3), 3, 2),
    layers.MaxPooling2D: ((2, 5, 6, 3), (2, 3), None),
    layers.AveragePooling2D: ((2, 5, 6, 3), (2, 3), None),
    layers.MaxPooling3D: ((1, 4, 5, 3, 2), (2, 2, 2), (1, 2, 2)),
    layers.AveragePooling3D: ((1, 4, 5, 3, 2), (2, 2, 2), (1, 2, 2)),
}
MODES = {layers.MaxPooling1D: "max", layers.MaxPooling2D: "max", layers.MaxPooling3D: "max",
         layers.AveragePooling1D: "avg", layers.AveragePooling2D: "avg", layers.AveragePooling3D: "avg"}
FORMATS = ["channels_last", "channels_first"]


def pool_case(cls, data_format):
    shape, pool, strides = POOLS[cls]
    rank = len(shape) - 2
    pool_t = (pool,) * rank if isinstance(pool, int) else pool
    strides_t = pool_t if strides is None else (strides,) * rank if isinstance(strides, int) else strides
    return to_format(rand(*shape), data_format), pool, strides, pool_t, strides_t


# --- windowed pooling ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("cls", list(POOLS), ids=lambda c: c.__name__)
def test_pooling_forward_against_loops(cls, padding, data_format):
    x, pool, strides, pool_t, strides_t = pool_case(cls, data_format)
    layer = cls(pool, strides=strides, padding=padding, data_format=data_format)
    out = layer(x)
    ref = pool_reference(x, pool_t, strides_t, padding, MODES[cls], data_format)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-6)


def test_same_average_pooling_divides_by_the_cells_inside_the_input():
    x = np.arange(1, 6, dtype=np.float32).reshape(1, 5, 1)  # 1..5
    out = npv(layers.AveragePooling1D(2, padding="same", data_format="channels_last")(x))
    np.testing.assert_allclose(out.ravel(), [1.5, 3.5, 5.0])  # the last window holds only the 5


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D, layers.MaxPooling2D,
                                 layers.AveragePooling2D, layers.MaxPooling3D, layers.AveragePooling3D],
                         ids=lambda c: c.__name__)
def test_pooling_input_gradient(cls, padding, data_format):
    x, pool, strides, pool_t, strides_t = pool_case(cls, data_format)
    layer = cls(pool, strides=strides, padding=padding, data_format=data_format)
    upstream = rand(*K.int_shape(layer(x)))
    v = K.Variable(x)
    (grad,) = K.gradients(lambda: K.sum(K.multiply(layer(v), upstream)), [v])
    ref = pool_input_gradient(x, upstream.astype(np.float64), pool_t, strides_t, padding, MODES[cls], data_format)
    np.testing.assert_allclose(npv(grad), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data_format", FORMATS)
def test_max_pooling_gradient_goes_to_the_first_maximum_of_a_tied_window(data_format):
    # 2x2 tiles, row-major order: ReLU outputs tie at 0 all the time; every engine gives the whole
    # gradient to the first maximum, so the models train alike. A 5th row and column are cropped.
    x = np.zeros((1, 5, 5, 1), np.float32)
    x[0, 0, :4, 0] = [3.0, 3.0, 0.0, 2.0]
    x[0, 1, :4, 0] = [3.0, 1.0, 2.0, 2.0]
    x[0, 4, 4, 0] = 9.0  # outside every tile: no gradient
    upstream = np.array([10.0, 20.0, 30.0, 40.0], np.float32).reshape(1, 2, 2, 1)
    expected = np.zeros((1, 5, 5, 1))
    expected[0, 0, 0, 0], expected[0, 0, 3, 0] = 10.0, 20.0  # (3, 3, 3, 1) and (0, 2, 2, 2): the first
    expected[0, 2, 0, 0], expected[0, 2, 2, 0] = 30.0, 40.0  # all-zero tiles: their first cell
    if data_format == "channels_first":
        x, upstream, expected = (np.moveaxis(a, -1, 1) for a in (x, upstream, expected))
    layer = layers.MaxPooling2D(2, data_format=data_format)
    v = K.Variable(x)
    (grad,) = K.gradients(lambda: K.sum(K.multiply(layer(v), upstream)), [v])
    np.testing.assert_array_equal(npv(grad), expected)


def test_strides_default_to_the_pool_size_and_layers_have_no_weights():
    layer = layers.MaxPooling2D((3, 2))
    assert layer.pool_size == (3, 2) and layer.strides == (3, 2) and layer.padding == "valid"
    assert layers.AveragePooling1D().pool_size == (2,) and layers.MaxPooling3D().strides == (2, 2, 2)
    layer(rand(1, 6, 4, 2))
    assert layer.weights == [] and layer.count_params() == 0


@pytest.mark.parametrize("cls, shape, kwargs, expected", [
    (layers.MaxPooling1D, (None, 3), {"pool_size": 3, "strides": 2}, (None, None, 3)),
    (layers.MaxPooling1D, (7, 3), {"pool_size": 3, "strides": 2}, (None, 3, 3)),
    (layers.AveragePooling1D, (7, 3), {"pool_size": 3, "strides": 2, "padding": "same"}, (None, 4, 3)),
    (layers.MaxPooling2D, (None, None, 3), {}, (None, None, None, 3)),
    (layers.MaxPooling2D, (9, None, 3), {"pool_size": 3}, (None, 3, None, 3)),
    (layers.AveragePooling2D, (3, 9, 8), {"data_format": "channels_first", "padding": "same"}, (None, 3, 5, 4)),
    (layers.MaxPooling3D, (4, 5, 6, 2), {"padding": "same", "strides": 3}, (None, 2, 2, 2, 2)),
], ids=lambda v: getattr(v, "__name__", None))
def test_symbolic_output_shapes(cls, shape, kwargs, expected):
    assert cls(**kwargs)(Input(shape=shape)).shape == expected


def test_pooling_in_a_compiled_function_matches_the_eager_call():
    x = rand(2, 6, 5, 3)
    layer = layers.AveragePooling2D((2, 2), strides=1, padding="same")
    np.testing.assert_allclose(npv(K.jit(layer)(x)), npv(layer(x)), rtol=1e-6, atol=1e-6)


# --- global pooling -----------------------------------------------------------------------------------------------

GLOBALS = [(layers.GlobalMaxPooling1D, 1, np.max), (layers.GlobalAveragePooling1D, 1, np.mean),
           (layers.GlobalMaxPooling2D, 2, np.max), (layers.GlobalAveragePooling2D, 2, np.mean),
           (layers.GlobalMaxPooling3D, 3, np.max), (layers.GlobalAveragePooling3D, 3, np.mean)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("cls, rank, reduce", GLOBALS, ids=[c.__name__ for c, _, _ in GLOBALS])
def test_global_pooling_forward(cls, rank, reduce, data_format, keepdims):
    x = to_format(rand(2, *(4, 3, 2)[:rank], 5), data_format)
    layer = cls(data_format=data_format, keepdims=keepdims)
    out = layer(x)
    last = to_last(x.astype(np.float64), data_format)
    ref = np.zeros((2, 5))
    for b, c in np.ndindex(2, 5):  # each channel of each sample over every spatial position
        ref[b, c] = reduce(last[b, ..., c])
    if keepdims:
        ref = to_format(ref.reshape((2,) + (1,) * rank + (5,)), data_format)
    assert tuple(K.int_shape(out)) == ref.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [layers.GlobalMaxPooling2D, layers.GlobalAveragePooling2D])
def test_global_pooling_input_gradient(cls):
    x, upstream = rand(2, 3, 4, 2), rand(2, 2)
    v = K.Variable(x)
    (grad,) = K.gradients(lambda: K.sum(K.multiply(cls()(v), upstream)), [v])
    ref = np.zeros((2, 3, 4, 2))
    for b, c in np.ndindex(2, 2):
        plane = x[b, :, :, c]
        if cls is layers.GlobalMaxPooling2D:
            ref[(b,) + np.unravel_index(plane.argmax(), plane.shape) + (c,)] = upstream[b, c]
        else:
            ref[b, :, :, c] = upstream[b, c] / plane.size
    np.testing.assert_allclose(npv(grad), ref, rtol=1e-5, atol=1e-6)


def masked_mean(x, mask):
    """float64 mean over the kept steps of (batch, steps, channels); 0 where nothing is kept."""
    out = np.zeros((x.shape[0], x.shape[2]))
    for b in range(x.shape[0]):
        kept = [t for t in range(x.shape[1]) if mask[b, t]]
        if kept:
            out[b] = np.mean([x[b, t].astype(np.float64) for t in kept], axis=0)
    return out


MASK = np.array([[True, True, False, True, False], [True, True, True, True, True], [False] * 5])


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", FORMATS)
def test_global_average_pooling_1d_leaves_masked_steps_out(data_format, keepdims):
    x = rand(3, 5, 4)
    layer = layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    out = layer(to_format(x, data_format), mask=MASK)
    ref = masked_mean(x, MASK)  # the fully masked third sample averages to 0, not nan
    if keepdims:
        ref = ref[:, None, :] if data_format == "channels_last" else ref[:, :, None]
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-6)
    v = K.Variable(x)
    (grad,) = K.gradients(lambda: K.sum(layers.GlobalAveragePooling1D()(v, mask=MASK)), [v])
    counts = np.maximum(MASK.sum(axis=1), 1)
    np.testing.assert_allclose(npv(grad), np.broadcast_to((MASK / counts[:, None])[:, :, None], x.shape),
                               rtol=1e-5, atol=1e-6)


def test_global_average_pooling_1d_takes_the_mask_of_an_embedding_and_ends_it():
    ids = np.array([[3, 5, 0, 0], [1, 2, 4, 0]])
    table = rand(6, 3)
    ref = masked_mean(table[ids], ids != 0)
    emb, pool = layers.Embedding(6, 3, mask_zero=True, weights=[table]), layers.GlobalAveragePooling1D()
    np.testing.assert_allclose(npv(pool(emb(ids))), ref, rtol=1e-5, atol=1e-6)
    pooled = pool(emb(Input(shape=(4,), dtype="int32")))
    assert pooled.shape == (None, 3) and getattr(pooled, "_keras_mask", None) is None
    model = Sequential([Input(shape=(4,), dtype="int32"), emb, pool])
    np.testing.assert_allclose(model.predict(ids, verbose=0), ref, rtol=1e-5, atol=1e-6)  # compiled step


@pytest.mark.parametrize("cls, shape, kwargs, expected", [
    (layers.GlobalMaxPooling1D, (None, 4), {}, (None, 4)),
    (layers.GlobalAveragePooling2D, (None, None, 4), {"keepdims": True}, (None, 1, 1, 4)),
    (layers.GlobalMaxPooling2D, (4, None, None), {"data_format": "channels_first"}, (None, 4)),
    (layers.GlobalAveragePooling3D, (4, None, 5, None), {"data_format": "channels_first", "keepdims": True},
     (None, 4, 1, 1, 1)),
], ids=lambda v: getattr(v, "__name__", None))
def test_global_symbolic_output_shapes(cls, shape, kwargs, expected):
    assert cls(**kwargs)(Input(shape=shape)).shape == expected


# --- configs, aliases, legacy spellings ---------------------------------------------------------------------------

def test_pooling_config_and_round_trip():
    layer = layers.AveragePooling2D((3, 2), strides=(1, 2), padding="same", data_format="channels_first", name="avg")
    config = layer.get_config()
    assert {k: config[k] for k in ("name", "pool_size", "strides", "padding", "data_format")} == {
        "name": "avg", "pool_size": (3, 2), "strides": (1, 2), "padding": "same", "data_format": "channels_first"}
    x = rand(2, 3, 5, 6)
    clone = layers.AveragePooling2D.from_config(json.loads(json.dumps(config)))  # tuples come back as lists
    np.testing.assert_allclose(npv(clone(x)), npv(layer(x)), rtol=1e-6)
    rebuilt = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(rebuilt) is layers.AveragePooling2D and rebuilt.strides == (1, 2)


def test_global_pooling_config_round_trip():
    layer = layers.GlobalMaxPooling3D(data_format="channels_first", keepdims=True)
    config = layer.get_config()
    assert config["data_format"] == "channels_first" and config["keepdims"] is True
    x = rand(1, 2, 3, 3, 2)
    np.testing.assert_allclose(npv(layers.GlobalMaxPooling3D.from_config(config)(x)), npv(layer(x)))


def test_keras_short_names_are_the_same_classes():
    for short, long in [("MaxPool", "MaxPooling"), ("AvgPool", "AveragePooling"), ("GlobalMaxPool", "GlobalMaxPooling"),
                        ("GlobalAvgPool", "GlobalAveragePooling")]:
        for rank in "123":
            assert getattr(layers, f"{short}{rank}D") is getattr(layers, f"{long}{rank}D")
    rebuilt = layers.deserialize({"class_name": "MaxPool2D", "config": {"pool_size": [3, 3], "padding": "same"}})
    assert type(rebuilt) is layers.MaxPooling2D and rebuilt.pool_size == (3, 3)


def test_keras_1_and_2_keywords_warn_and_work():
    with pytest.warns(DeprecationWarning, match="padding"):
        layer = layers.MaxPooling2D((2, 2), border_mode="same")
    assert layer.padding == "same"
    with pytest.warns(DeprecationWarning, match="data_format='channels_first'"):
        layer = layers.AveragePooling2D(dim_ordering="th")
    assert layer.data_format == "channels_first"
    with pytest.warns(DeprecationWarning, match="data_format='channels_last'"):
        assert layers.MaxPooling3D(dim_ordering="tf").data_format == "channels_last"
    with pytest.warns(DeprecationWarning, match=r"\(pool_size="), pytest.warns(DeprecationWarning, match=r"\(strides="):
        layer = layers.MaxPooling1D(pool_length=3, stride=1, data_format="channels_last")
    assert layer.pool_size == (3,) and layer.strides == (1,)
    with pytest.warns(DeprecationWarning, match="dim_ordering"):
        assert layers.GlobalAveragePooling2D(dim_ordering="th").data_format == "channels_first"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        x = rand(1, 5, 5, 2)
        np.testing.assert_allclose(npv(layers.MaxPooling2D(border_mode="same", dim_ordering="tf")(x)),
                                   npv(layers.MaxPooling2D(padding="same", data_format="channels_last")(x)))
        with pytest.raises(TypeError, match="both `dim_ordering`"):
            layers.MaxPooling2D(dim_ordering="th", data_format="channels_first")
        with pytest.raises(ValueError, match="dim_ordering must be 'tf', 'th' or 'default'"):
            layers.MaxPooling2D(dim_ordering="theano")


# --- errors -------------------------------------------------------------------------------------------------------

def test_wrong_input_rank_names_the_layer():
    with pytest.raises(ValueError, match=r'"my_pool".*expected ndim=4, found ndim=3'):
        layers.MaxPooling2D(name="my_pool")(rand(2, 5, 3))
    with pytest.raises(ValueError, match=r'"gap".*expected ndim=3, found ndim=4'):
        layers.GlobalAveragePooling1D(name="gap")(Input(shape=(4, 4, 2)))


def test_window_larger_than_the_input_names_the_layer():
    with pytest.raises(ValueError, match="big_pool.*larger than the input"):
        layers.MaxPooling1D(5, name="big_pool", data_format="channels_last")(rand(1, 3, 2))
    with pytest.raises(ValueError, match="big_pool2.*larger than the input"):
        layers.AveragePooling2D((4, 4), name="big_pool2", data_format="channels_last")(Input(shape=(3, 8, 1)))
    assert layers.MaxPooling1D(5, padding="same", data_format="channels_last")(rand(1, 3, 2)).shape[1] == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"pool_size": 0}, "MaxPooling2D: pool_size must be a positive int"),
    ({"pool_size": (2, 2, 2)}, "MaxPooling2D: pool_size must be .* sequence of 2"),
    ({"strides": -1}, "MaxPooling2D: strides must be a positive int"),
    ({"padding": "full"}, "MaxPooling2D: padding must be one of valid, same"),
    ({"data_format": "NHWC"}, "MaxPooling2D: data_format must be one of"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.MaxPooling2D(**kwargs)


def test_bad_global_data_format():
    with pytest.raises(ValueError, match="GlobalAveragePooling2D: data_format"):
        layers.GlobalAveragePooling2D(data_format="last")
