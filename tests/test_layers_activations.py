"""core.layers' activation layers on the active engine: outputs against
float64 numpy formulas, gradients (PReLU's alpha included), Softmax masks,
weights, configs, shapes and errors."""

import numpy as np
import pytest

import kbackend as K
from core import constraints, layers, regularizers
from core.layers import Input

RNG = np.random.default_rng(0)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    # away from 0 and the thresholds used below, so that kinks are never hit exactly
    x = RNG.uniform(-3, 3, shape)
    x[np.abs(x - np.round(x * 2) / 2) < 0.05] += 0.1
    return x.astype(np.float32)


def np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def relu_ref(x, max_value=None, negative_slope=0.0, threshold=0.0):
    out = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return out if max_value is None else np.minimum(out, max_value)


CASES = [
    (lambda: layers.ReLU(), lambda x: np.maximum(x, 0)),
    (lambda: layers.ReLU(max_value=2.0), lambda x: relu_ref(x, max_value=2.0)),
    (lambda: layers.ReLU(negative_slope=0.1, threshold=1.0), lambda x: relu_ref(x, negative_slope=0.1, threshold=1.0)),
    (lambda: layers.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5),
     lambda x: relu_ref(x, 2.0, 0.2, 0.5)),
    (lambda: layers.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),
    (lambda: layers.LeakyReLU(negative_slope=0.05), lambda x: np.where(x >= 0, x, 0.05 * x)),
    (lambda: layers.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (lambda: layers.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (lambda: layers.ThresholdedReLU(), lambda x: np.where(x > 1.0, x, 0.0)),
    (lambda: layers.ThresholdedReLU(theta=0.5), lambda x: np.where(x > 0.5, x, 0.0)),
    (lambda: layers.Softmax(), lambda x: np_softmax(x, -1)),
    (lambda: layers.Softmax(axis=1), lambda x: np_softmax(x, 1)),
]
IDS = ["relu", "relu-max", "relu-slope-threshold", "relu-all", "leaky", "leaky-0.05", "elu", "elu-0.5",
       "thresholded", "thresholded-0.5", "softmax", "softmax-axis1"]


@pytest.mark.parametrize("make,ref", CASES, ids=IDS)
def test_forward_against_numpy(make, ref):
    x = rand(3, 4, 5)
    layer = make()
    np.testing.assert_allclose(npv(layer(x)), ref(x.astype(np.float64)), rtol=1e-5, atol=1e-6)
    assert layer(Input((None, 5))).shape == (None, None, 5)


@pytest.mark.parametrize("make,ref", CASES, ids=IDS)
def test_config_round_trip(make, ref):
    x = rand(2, 3, 5)
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    np.testing.assert_array_equal(npv(clone(x)), npv(layer(x)))
    restored = layers.deserialize(layers.serialize(layer))
    assert type(restored) is type(layer)


def test_configs_hold_keras_keys():
    relu = layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5).get_config()
    assert (relu["max_value"], relu["negative_slope"], relu["threshold"]) == (6.0, 0.1, 0.5)
    assert layers.LeakyReLU(0.2).get_config()["negative_slope"] == 0.2
    assert layers.ELU(0.7).get_config()["alpha"] == 0.7
    assert layers.Softmax(axis=[1, 2]).get_config()["axis"] == [1, 2]
    assert layers.ThresholdedReLU(2.0).get_config()["theta"] == 2.0


@pytest.mark.parametrize("make,derivative", [
    (lambda: layers.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5),
     lambda x: np.where(x >= 2.0, 0.0, np.where(x >= 0.5, 1.0, 0.2))),
    (lambda: layers.LeakyReLU(0.1), lambda x: np.where(x >= 0, 1.0, 0.1)),
    (lambda: layers.ELU(0.5), lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x))),
    (lambda: layers.ThresholdedReLU(), lambda x: np.where(x > 1.0, 1.0, 0.0)),
], ids=["relu", "leaky", "elu", "thresholded"])
def test_elementwise_gradients(make, derivative):
    x = rand(4, 5)
    r = RNG.standard_normal((4, 5))
    xv = K.Variable(x)
    layer = make()
    (grad,) = K.gradients(lambda: K.sum(K.multiply(layer(xv), r)), [xv])
    np.testing.assert_allclose(npv(grad), r * derivative(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_softmax_gradient():
    x = rand(3, 4).astype(np.float64)
    r = RNG.standard_normal((3, 4))
    xv = K.Variable(x.astype(np.float32))
    (grad,) = K.gradients(lambda: K.sum(K.multiply(layers.Softmax()(xv), r)), [xv])
    s = np_softmax(x)
    np.testing.assert_allclose(npv(grad), s * (r - (r * s).sum(-1, keepdims=True)), rtol=1e-4, atol=1e-6)


def test_softmax_over_several_axes():
    x = rand(2, 3, 4).astype(np.float64)
    out = npv(layers.Softmax(axis=[1, 2])(x.astype(np.float32)))
    e = np.exp(x - x.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=(1, 2), keepdims=True), rtol=1e-5, atol=1e-7)


def test_softmax_mask_same_shape_gives_masked_positions_zero():
    x = rand(2, 3, 5).astype(np.float64)
    mask = RNG.uniform(size=(2, 3, 5)) > 0.4
    mask[..., 0] = True
    out = npv(layers.Softmax()(x.astype(np.float32), mask=K.convert_to_tensor(mask)))
    e = np.where(mask, np.exp(x - x.max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
    assert np.all(out[~mask] == 0)
    np.testing.assert_allclose(out.sum(-1), np.ones((2, 3)), rtol=1e-5)


def test_softmax_takes_the_mask_of_its_input():
    # attention-style scores (batch, queries, keys) with a key mask of lower rank, via Embedding(mask_zero)
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    emb = layers.Embedding(4, 4, mask_zero=True)
    scores = emb(ids)  # (2, 4, 4) with mask (2, 4) over its second axis
    out = npv(layers.Softmax()(scores))
    table = emb.embeddings.numpy().astype(np.float64)
    ref = np_softmax(table[ids])
    keep = (ids != 0)[..., None]
    np.testing.assert_allclose(out, np.where(keep, ref, 0.0), rtol=1e-5, atol=1e-7)


# --- PReLU ----------------------------------------------------------------------------------------------------------

def test_prelu_forward_and_weights():
    x = rand(3, 4, 5)
    alpha = RNG.uniform(0, 0.5, (4, 5)).astype(np.float32)
    layer = layers.PReLU(weights=[alpha])
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(npv(layer(x)), np.where(x64 >= 0, x64, alpha * x64), rtol=1e-5, atol=1e-6)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("alpha", (4, 5))]
    assert layer.count_params() == 20
    fresh = layers.PReLU()
    fresh(x)
    np.testing.assert_array_equal(fresh.alpha.numpy(), np.zeros((4, 5)))  # zeros: a ReLU to begin with


def test_prelu_shared_axes_and_gradients():
    x = rand(2, 3, 4, 5)
    r = RNG.standard_normal((2, 3, 4, 5))
    alpha = RNG.uniform(0, 0.5, (1, 1, 5)).astype(np.float32)
    layer = layers.PReLU(shared_axes=[1, 2], weights=[alpha])
    xv = K.Variable(x)
    layer(xv)
    assert tuple(layer.alpha.shape) == (1, 1, 5)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(npv(layer(x)), np.where(x64 >= 0, x64, alpha * x64), rtol=1e-5, atol=1e-6)
    grad_x, grad_alpha = K.gradients(lambda: K.sum(K.multiply(layer(xv), r)), [xv, layer.alpha])
    np.testing.assert_allclose(npv(grad_alpha), (r * np.minimum(x64, 0)).sum(axis=(0, 1, 2)).reshape(1, 1, 5),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npv(grad_x), r * np.where(x64 >= 0, 1.0, alpha), rtol=1e-5, atol=1e-6)


def test_prelu_symbolic_unknown_shared_axis_config_and_errors():
    layer = layers.PReLU(shared_axes=1, alpha_initializer="ones", alpha_regularizer=regularizers.L2(0.5),
                         alpha_constraint="non_neg", name="my_prelu")
    assert layer(Input((None, 3))).shape == (None, None, 3)
    assert tuple(layer.alpha.shape) == (1, 3)
    assert isinstance(layer.alpha.constraint, constraints.NonNeg)
    np.testing.assert_allclose([npv(p) for p in layer.losses], [0.5 * 3.0], rtol=1e-6)
    config = layer.get_config()
    assert config["shared_axes"] == [1]
    clone = layers.PReLU.from_config(config)
    x = rand(2, 7, 3)
    clone(x)
    clone.set_weights([RNG.uniform(size=(1, 3)).astype(np.float32)])
    layer.set_weights(clone.get_weights())
    np.testing.assert_array_equal(npv(clone(x)), npv(layer(x)))
    with pytest.raises(ValueError, match=r"my_prelu.*axis 2"):
        layer(rand(2, 7, 4))
    with pytest.raises(ValueError, match="non-batch input size known"):
        layers.PReLU()(Input((None, 3)))
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU(shared_axes=[3])(rand(2, 3))


# --- errors and legacy spellings ------------------------------------------------------------------------------------

def test_bad_arguments():
    with pytest.raises(ValueError, match="ReLU: max_value must be a non-negative number or None"):
        layers.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="ReLU: negative_slope"):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="ReLU: threshold"):
        layers.ReLU(threshold=None)
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope"):
        layers.LeakyReLU(negative_slope=None)
    with pytest.raises(ValueError, match="ThresholdedReLU: theta"):
        layers.ThresholdedReLU(theta=-1.0)
    with pytest.raises(ValueError, match="ELU: alpha must be a number"):
        layers.ELU(alpha="big")
    with pytest.raises(TypeError, match="Softmax: axis"):
        layers.Softmax(axis=1.5)


def test_keras2_spellings():
    with pytest.warns(DeprecationWarning, match=r"LeakyReLU\(negative_slope=\.\.\.\)"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    with pytest.warns(DeprecationWarning):  # a Keras 2 config
        restored = layers.deserialize({"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": 0.2}})
    assert restored.negative_slope == 0.2
    with pytest.raises(TypeError, match="pass only `negative_slope`"):
        layers.LeakyReLU(negative_slope=0.1, alpha=0.2)
    with pytest.warns(DeprecationWarning, match="alpha_initializer"):
        assert isinstance(layers.PReLU(init="ones"), layers.PReLU)


def test_activation_layers_are_exported():
    from core.layers import activations
    assert set(activations.__all__) == {"ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU"}
    assert all(getattr(layers, name) is getattr(activations, name) for name in activations.__all__)
