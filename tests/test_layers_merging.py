"""core.layers' merging family on the active engine: Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot and their functional forms against float64 numpy,
broadcasting across ranks, masks, gradients, symbolic shapes, configs, errors, and
Keras 1's Merge / merge."""

import warnings

import numpy as np
import pytest

import kbackend as K
from core import layers
from core.engine.masks import get_mask, set_mask
from core.layers import Input
from core.models import Model
from kbackend.conformance.references import central_difference

RNG = np.random.default_rng(7)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def f64(*arrays):
    return [a.astype(np.float64) for a in arrays]


def fresh(x):
    """A new engine tensor holding x (numpy's engine would otherwise reuse the array, masks included)."""
    return K.convert_to_tensor(np.array(x))


def masked(x, mask):
    """A new engine tensor holding x, carrying a Keras mask."""
    t = fresh(x)
    set_mask(t, K.convert_to_tensor(mask))
    return t


ELEMENTWISE = {  # name -> (layer class, function, numpy fold over a list)
    "add": (layers.Add, layers.add, lambda xs: sum(xs)),
    "multiply": (layers.Multiply, layers.multiply, lambda xs: np.prod(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    "average": (layers.Average, layers.average, lambda xs: sum(xs) / len(xs)),
    "maximum": (layers.Maximum, layers.maximum, lambda xs: np.max(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    "minimum": (layers.Minimum, layers.minimum, lambda xs: np.min(np.stack(np.broadcast_arrays(*xs)), axis=0)),
}


# --- elementwise merges ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("count", [2, 3])
def test_elementwise_layers_and_functions_match_numpy(name, count):
    cls, fn, ref = ELEMENTWISE[name]
    xs = [rand(2, 3, 4) for _ in range(count)]
    expected = ref(f64(*xs))
    for out in (cls()(xs), fn(xs)):
        assert tuple(K.int_shape(out)) == (2, 3, 4)
        np.testing.assert_allclose(npv(out), expected, rtol=1e-5, atol=1e-6)


def test_subtract_and_its_function():
    a, b = rand(4, 5), rand(4, 5)
    for out in (layers.Subtract()([a, b]), layers.subtract([a, b])):
        np.testing.assert_allclose(npv(out), a.astype(np.float64) - b, rtol=1e-6, atol=1e-6)


def test_single_input_passes_through():
    a = rand(2, 3)
    np.testing.assert_allclose(npv(layers.Add()([a])), a, rtol=0, atol=0)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_broadcasting_across_ranks_and_size_one_axes(name):
    cls, _, ref = ELEMENTWISE[name]
    low, high, ones = rand(2, 4), rand(2, 3, 4), rand(2, 1, 4)
    # a lower-rank input gets its new axes right after the batch axis
    np.testing.assert_allclose(npv(cls()([low, high])), ref([low[:, None, :].astype(np.float64), high]),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(cls()([high, ones])), ref(f64(high, ones)), rtol=1e-5, atol=1e-6)
    out = cls()([Input((4,)), Input((3, 4)), Input((1, 4))])
    assert out.shape == (None, 3, 4)


def test_symbolic_shapes_keep_known_and_unknown_dims():
    assert layers.add([Input((None, 4)), Input((None, 4))]).shape == (None, None, 4)
    assert layers.Add().compute_output_shape([(8, 5), (None, 3, 5)]) == (8, 3, 5)
    assert layers.average([Input((2, 1)), Input((2, 6))]).shape == (None, 2, 6)
    assert layers.subtract([Input((3,), batch_size=5), Input((3,))]).shape == (5, 3)


# --- masks through elementwise merges ----------------------------------------------------------------------------

def test_elementwise_output_mask_is_the_or_of_masks_when_all_inputs_have_one():
    a, b = rand(2, 4, 3), rand(2, 4, 3)
    ma = np.array([[1, 1, 0, 0], [1, 0, 0, 0]], bool)
    mb = np.array([[1, 0, 1, 0], [0, 0, 0, 0]], bool)
    out = layers.Add()([masked(a, ma), masked(b, mb)])
    np.testing.assert_array_equal(npv(get_mask(out)), ma | mb)
    np.testing.assert_allclose(npv(out), a.astype(np.float64) + b, rtol=1e-6, atol=1e-6)
    # Keras 3: one unmasked input means no output mask
    assert get_mask(layers.Add()([masked(a, ma), fresh(b)])) is None


@pytest.mark.parametrize("name", ["multiply", "maximum", "minimum"])
def test_masked_entries_do_not_take_part(name):
    cls, _, ref = ELEMENTWISE[name]
    a, b = rand(2, 4, 3), rand(2, 4, 3)
    ma = np.array([[1, 1, 0, 0], [1, 0, 1, 0]], bool)
    mb = np.array([[1, 0, 1, 0], [1, 1, 0, 0]], bool)
    out = cls()([masked(a, ma), masked(b, mb)])
    a64, b64 = f64(a, b)
    both = ref([a64, b64])
    expected = np.where(ma[..., None] & mb[..., None], both,
                        np.where(ma[..., None], a64, np.where(mb[..., None], b64, 0.0 if name == "multiply" else a64)))
    np.testing.assert_allclose(npv(out), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(npv(get_mask(out)), ma | mb)


# --- Concatenate ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, 1, 2, 0])
def test_concatenate_matches_numpy(axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 1)], 2: [(2, 3, 4), (2, 3, 2)], 1: [(2, 3, 4), (2, 5, 4)], 0: [(2, 3, 4)] * 2}
    xs = [rand(*s) for s in shapes[axis]]
    expected = np.concatenate(f64(*xs), axis=axis)
    for out in (layers.Concatenate(axis=axis)(xs), layers.concatenate(xs, axis=axis)):
        np.testing.assert_array_equal(npv(out), expected)


def test_concatenate_symbolic_shapes():
    assert layers.concatenate([Input((3, 4)), Input((3, 5))]).shape == (None, 3, 9)
    assert layers.concatenate([Input((None, 4)), Input((2, 4))], axis=1).shape == (None, None, 4)
    assert layers.concatenate([Input((None, 4)), Input((2, 4))], axis=-1).shape == (None, 2, 8)
    assert layers.Concatenate(axis=1).compute_output_shape([(None, 2, 3), (None, 5, 3), (None, 1, 3)]) == (None, 8, 3)


def test_concatenate_masks_as_keras():
    a, b = rand(2, 4, 3), rand(2, 4, 2)
    ma = np.array([[1, 1, 0, 0], [1, 0, 0, 0]], bool)
    mb = np.array([[1, 0, 1, 0], [0, 0, 0, 0]], bool)
    # features axis: a step is kept if any input keeps it; an unmasked input keeps every step
    out = layers.Concatenate()([masked(a, ma), masked(b, mb)])
    np.testing.assert_array_equal(npv(get_mask(out)), ma | mb)
    out = layers.Concatenate()([masked(a, ma), fresh(b)])
    np.testing.assert_array_equal(npv(get_mask(out)), np.ones((2, 4), bool))
    # time axis: the masks are joined like the inputs
    c = rand(2, 2, 3)
    out = layers.Concatenate(axis=1)([masked(a, ma), fresh(c)])
    np.testing.assert_array_equal(npv(get_mask(out)), np.concatenate([ma, np.ones((2, 2), bool)], axis=1))
    np.testing.assert_array_equal(npv(out), np.concatenate(f64(a, c), axis=1))
    assert get_mask(layers.Concatenate()([fresh(a), fresh(b)])) is None


def test_concatenate_masks_in_a_functional_model():
    ids = Input((4,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True)(ids)
    joined = layers.concatenate([embedded, embedded], axis=1)
    assert joined.shape == (None, 8, 3) and joined._keras_mask.shape == (None, 8)
    model = Model(ids, joined)
    idx = np.array([[1, 2, 0, 0], [3, 0, 4, 0]], np.int32)
    out = model(idx)
    assert tuple(K.int_shape(out)) == (2, 8, 3)
    np.testing.assert_array_equal(npv(get_mask(out)), np.concatenate([idx != 0, idx != 0], axis=1))


# --- Dot ------------------------------------------------------------------------------------------------------------

DOT_CASES = [  # (shape1, shape2, axes, einsum of the reference)
    ((3, 5), (3, 5), 1, "bi,bi->b"),
    ((3, 5), (3, 5), -1, "bi,bi->b"),
    ((2, 4, 5), (2, 6, 5), -1, "bti,bsi->bts"),
    ((2, 4, 5), (2, 6, 5), (2, 2), "bti,bsi->bts"),
    ((2, 3, 5), (2, 4, 3), (1, 2), "bij,bki->bjk"),
    ((2, 4, 5), (2, 4, 6), 1, "bij,bik->bjk"),
    ((2, 4, 5), (2, 5), (2, 1), "bti,bi->bt"),
    ((2, 5), (2, 5, 3), (1, 1), "bi,bij->bj"),
]


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("shape1,shape2,axes,subscripts", DOT_CASES, ids=[str(i) for i in range(len(DOT_CASES))])
def test_dot_matches_numpy(shape1, shape2, axes, subscripts, normalize):
    x, y = rand(*shape1), rand(*shape2)
    x64, y64 = f64(x, y)
    if normalize:
        pair = (axes, axes) if isinstance(axes, int) else axes
        a1, a2 = pair[0] % len(shape1), pair[1] % len(shape2)
        x64 = x64 / np.linalg.norm(x64, axis=a1, keepdims=True)
        y64 = y64 / np.linalg.norm(y64, axis=a2, keepdims=True)
    expected = np.einsum(subscripts, x64, y64)
    if expected.ndim == 1:
        expected = expected[:, None]  # a per-sample scalar is (batch, 1)
    layer = layers.Dot(axes=axes, normalize=normalize)
    for out in (layer([x, y]), layers.dot([x, y], axes=axes, normalize=normalize)):
        np.testing.assert_allclose(npv(out), expected, rtol=1e-5, atol=1e-5)
    symbolic = layers.Dot(axes=axes, normalize=normalize)([Input(shape1[1:]), Input(shape2[1:])])
    assert symbolic.shape == (None,) + expected.shape[1:]


def test_dot_normalize_is_cosine_similarity():
    x = rand(4, 6)
    y = np.stack([2.5 * x[0], -x[1], rand(6), x[3] * 0.1])
    out = npv(layers.Dot(axes=1, normalize=True)([x, y]))[:, 0]
    np.testing.assert_allclose(out[[0, 1, 3]], [1.0, -1.0, 1.0], rtol=1e-5)
    assert -1 <= out[2] <= 1


def test_dot_output_has_no_mask():
    a = rand(2, 4, 3)
    out = layers.Dot(axes=2)([masked(a, np.ones((2, 4), bool)), masked(a, np.ones((2, 4), bool))])
    assert get_mask(out) is None


# --- gradients --------------------------------------------------------------------------------------------------------

def test_gradient_of_normalized_dot_matches_central_differences():
    x, y, w = rand(2, 3, 4), rand(2, 5, 4), rand(2, 3, 5)
    vx, vy = K.Variable(x), K.Variable(y)
    layer = layers.Dot(axes=2, normalize=True)
    grads = K.gradients(lambda: K.sum(K.multiply(layer([vx, vy]), w)), [vx, vy])

    def reference(a, b):
        a = a / np.linalg.norm(a, axis=-1, keepdims=True)
        b = b / np.linalg.norm(b, axis=-1, keepdims=True)
        return float(np.sum(np.einsum("bti,bsi->bts", a, b) * w))
    x64, y64 = f64(x, y)
    np.testing.assert_allclose(npv(grads[0]), central_difference(lambda a: reference(a, y64), x64), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(npv(grads[1]), central_difference(lambda b: reference(x64, b), y64), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("name", ["multiply", "average", "maximum"])
def test_gradient_of_elementwise_merges_with_broadcasting(name):
    cls, _, ref = ELEMENTWISE[name]
    low, high, w = rand(2, 4), rand(2, 3, 4), rand(2, 3, 4)
    vl, vh = K.Variable(low), K.Variable(high)
    layer = cls()
    grads = K.gradients(lambda: K.sum(K.multiply(layer([vl, vh]), w)), [vl, vh])
    low64, high64 = f64(low, high)

    def reference(a, b):
        return float(np.sum(ref([a[:, None, :], b]) * w))
    np.testing.assert_allclose(npv(grads[0]), central_difference(lambda a: reference(a, high64), low64), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(npv(grads[1]), central_difference(lambda b: reference(low64, b), high64), rtol=1e-4,
                               atol=1e-5)


def test_merges_inside_compiled_code():
    a, b = rand(2, 3, 4), rand(2, 3, 4)

    def run(x, y):
        s = layers.Add()([x, y])
        c = layers.Concatenate()([s, layers.Maximum()([x, y])])
        return layers.Dot(axes=2, normalize=True)([c, c])
    np.testing.assert_allclose(npv(K.jit(run)(a, b)), npv(run(a, b)), rtol=1e-5, atol=1e-6)


# --- configs, weights, models -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [layers.Add, layers.Subtract, layers.Multiply, layers.Average, layers.Maximum,
                                  layers.Minimum, lambda: layers.Concatenate(axis=1),
                                  lambda: layers.Dot(axes=(1, 1), normalize=True)],
                         ids=["add", "subtract", "multiply", "average", "maximum", "minimum", "concat", "dot"])
def test_config_round_trip(make):
    layer = make()
    xs = [rand(3, 4), rand(3, 4)]
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    np.testing.assert_array_equal(npv(again(xs)), npv(layer(xs)))
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config
    assert layer.weights == [] and layer.count_params() == 0


def test_dot_and_concatenate_configs_hold_their_arguments():
    assert layers.Dot(axes=(1, 2), normalize=True).get_config()["axes"] == [1, 2]
    assert layers.Dot(axes=-1).get_config()["normalize"] is False
    assert layers.Concatenate(axis=2).get_config()["axis"] == 2


def test_functional_model_with_merges():
    a, b = Input((4,)), Input((4,))
    da, db = layers.Dense(3, name="da")(a), layers.Dense(3, name="db")(b)
    out = layers.concatenate([layers.add([da, db]), layers.multiply([da, db]), layers.dot([da, db], axes=1)])
    model = Model([a, b], out)
    assert out.shape == (None, 7)
    xa, xb = rand(5, 4), rand(5, 4)
    wa, ba = [w.astype(np.float64) for w in model.get_layer("da").get_weights()]
    wb, bb = [w.astype(np.float64) for w in model.get_layer("db").get_weights()]
    ya, yb = xa @ wa + ba, xb @ wb + bb
    expected = np.concatenate([ya + yb, ya * yb, np.sum(ya * yb, axis=1, keepdims=True)], axis=1)
    np.testing.assert_allclose(npv(model([xa, xb])), expected, rtol=1e-5, atol=1e-5)


# --- errors -------------------------------------------------------------------------------------------------------

def test_wrong_number_of_inputs():
    with pytest.raises(ValueError, match=r"'sub'.*Subtract.*exactly 2 inputs.*3"):
        layers.Subtract(name="sub")([rand(2, 3)] * 3)
    with pytest.raises(ValueError, match=r"'sub1'.*exactly 2 inputs"):
        layers.Subtract(name="sub1")([Input((3,))])
    with pytest.raises(ValueError, match=r"'d'.*Dot.*exactly 2 inputs"):
        layers.Dot(axes=1, name="d")([rand(2, 3)] * 3)
    with pytest.raises(ValueError, match=r"'a'.*list of tensors"):
        layers.Add(name="a")(rand(2, 3))
    with pytest.raises(ValueError, match=r"'a2'.*list of tensors"):
        layers.Add(name="a2")(Input((3,)))


def test_incompatible_shapes_name_the_layer():
    with pytest.raises(ValueError, match=r"'my_add'.*incompatible shapes.*\(2, 3\).*\(2, 4\)"):
        layers.Add(name="my_add")([rand(2, 3), rand(2, 4)])
    with pytest.raises(ValueError, match=r"my_max.*incompatible shapes"):
        layers.Maximum(name="my_max")([Input((5, 3)), Input((4, 3))])
    with pytest.raises(ValueError, match=r"'m'.*different batch sizes"):
        layers.Multiply(name="m")([rand(2, 3), rand(3, 3)])
    with pytest.raises(ValueError, match=r"'cat'.*matching shapes except along the concatenation axis -1"):
        layers.Concatenate(name="cat")([rand(2, 3, 4), rand(2, 5, 4)])
    with pytest.raises(ValueError, match=r"cat2.*one rank"):
        layers.Concatenate(name="cat2")([Input((3, 4)), Input((4,))])
    with pytest.raises(ValueError, match=r"'dd'.*axis 1 of the first input has size 3 but axis 1 of the second has"):
        layers.Dot(axes=1, name="dd")([rand(2, 3), rand(2, 4)])
    with pytest.raises(ValueError, match=r"'d0'.*batch axis"):
        layers.Dot(axes=0, name="d0")([rand(2, 3), rand(2, 3)])


def test_bad_constructor_arguments():
    with pytest.raises(TypeError, match="axes must be an int or a list/tuple"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="pair of ints"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="axis must be an int"):
        layers.Concatenate(axis=1.5)


# --- Keras 1: Merge and merge -------------------------------------------------------------------------------------

LEGACY = [  # (mode, extra kwargs, the modern layer and function the warnings name, numpy reference of (a, b))
    ("sum", {}, r"Add\(\)", r"add\(inputs\)", lambda a, b: a + b),
    ("mul", {}, r"Multiply\(\)", r"multiply\(inputs\)", lambda a, b: a * b),
    ("ave", {}, r"Average\(\)", r"average\(inputs\)", lambda a, b: (a + b) / 2),
    ("max", {}, r"Maximum\(\)", r"maximum\(inputs\)", np.maximum),
    ("concat", {"concat_axis": 1}, r"Concatenate\(axis=1\)", r"concatenate\(inputs, axis=1\)",
     lambda a, b: np.concatenate([a, b], axis=1)),
    ("dot", {"dot_axes": 1}, r"Dot\(axes=1\)", r"dot\(inputs, axes=1\)",
     lambda a, b: np.sum(a * b, axis=1, keepdims=True)),
    ("cos", {"dot_axes": 1}, r"Dot\(axes=1, normalize=True\)", r"dot\(inputs, axes=1, normalize=True\)",
     lambda a, b: np.sum(a * b, axis=1, keepdims=True) / np.linalg.norm(a, axis=1, keepdims=True)
     / np.linalg.norm(b, axis=1, keepdims=True)),
]


@pytest.mark.parametrize("mode,kwargs,layer_form,function_form,ref", LEGACY, ids=[m[0] for m in LEGACY])
def test_legacy_merge_layer_and_function(mode, kwargs, layer_form, function_form, ref):
    a, b = rand(3, 4), rand(3, 4)
    expected = ref(*f64(a, b))
    with pytest.warns(DeprecationWarning, match=rf"Merge\(mode=\.\.\.\) is Keras 1.*use {layer_form}"):
        layer = layers.Merge(mode=mode, **kwargs)
    np.testing.assert_allclose(npv(layer([a, b])), expected, rtol=1e-5, atol=1e-6)
    with pytest.warns(DeprecationWarning, match=rf"merge\(inputs, mode=\.\.\.\) is Keras 1.*use {function_form}"):
        out = layers.merge([a, b], mode=mode, **kwargs)
    np.testing.assert_allclose(npv(out), expected, rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        symbolic = layers.merge([Input((4,)), Input((4,))], mode=mode, **kwargs)
    assert symbolic.shape == (None,) + expected.shape[1:]


def scaled_difference(inputs, scale=1.0):
    return (inputs[0] - inputs[1]) * scale


def test_legacy_merge_with_a_function_mode():
    a, b = rand(3, 4), rand(3, 4)
    with pytest.warns(DeprecationWarning, match="Lambda"):
        layer = layers.Merge(mode=scaled_difference, arguments={"scale": 2.0}, output_shape=(4,))
    np.testing.assert_allclose(npv(layer([a, b])), 2.0 * (a.astype(np.float64) - b), rtol=1e-6, atol=1e-6)
    assert layer([Input((4,)), Input((4,))]).shape == (None, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        inferred = layers.merge([Input((4,)), Input((4,))], mode=lambda xs: K.concatenate(xs, axis=-1))
        by_function = layers.Merge(mode=scaled_difference, output_shape=lambda shapes: shapes[0])
    assert inferred.shape == (None, 8)
    assert by_function([Input((4,)), Input((4,))]).shape == (None, 4)


def test_legacy_merge_config_round_trip():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layer = layers.Merge(mode="concat", concat_axis=1, name="joined")
        fn_layer = layers.Merge(mode=scaled_difference, output_shape=(4,))
    config = layer.get_config()
    assert config["mode"] == "concat" and config["concat_axis"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # loading a config does not warn
        again = layers.Merge.from_config(config)
        keras1 = layers.Merge.from_config({"name": "m1", "mode": "sum", "mode_type": "raw", "concat_axis": -1,
                                           "dot_axes": -1, "output_shape": None, "output_shape_type": "raw",
                                           "output_mask": None, "output_mask_type": "raw", "arguments": {}})
        fn_again = layers.Merge.from_config(fn_layer.get_config())
    a, b = rand(2, 3), rand(2, 5)
    np.testing.assert_array_equal(npv(again([a, b])), np.concatenate(f64(a, b), axis=1))
    np.testing.assert_allclose(npv(keras1([a, a])), 2 * a.astype(np.float64), rtol=1e-6)
    c, d = rand(2, 4), rand(2, 4)
    np.testing.assert_allclose(npv(fn_again([c, d])), c.astype(np.float64) - d, rtol=1e-6, atol=1e-6)


def test_legacy_merge_errors():
    with pytest.raises(TypeError, match="functional API"):
        layers.Merge([layers.Dense(2), layers.Dense(2)], mode="concat")
    with pytest.raises(ValueError, match=r"unknown mode 'avg'.*'ave'"):
        layers.Merge(mode="avg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layer = layers.Merge(mode="sum", name="old")
        with pytest.raises(ValueError, match=r"'old'.*at least 2"):
            layer([rand(2, 3)])
