"""core.activations on the active engine: each function against a float64 numpy
formula, the relu options (Keras 3 and Keras 2 spellings), and the names."""

import math

import numpy as np
import pytest

import kbackend as K
from core import activations
from core.saving import custom_object_scope

RNG = np.random.default_rng(3)
# values spread over the interesting range, none exactly at a kink (0, the thresholds, -3, 3, 6)
X = (RNG.uniform(-8, 8, (4, 6)) + 0.013).astype(np.float32)
X[0, :4] = (-3.3, 3.2, 6.4, 0.45)
X64 = X.astype(np.float64)

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def npv(x):
    return np.asarray(K.convert_to_numpy(x))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0, x)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


erf = np.vectorize(math.erf)

CASES = [
    ("relu", {}, lambda x: np.maximum(x, 0)),
    ("relu", {"negative_slope": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x)),
    ("relu", {"max_value": 2.5}, lambda x: np.clip(x, 0, 2.5)),
    ("relu", {"threshold": 0.5}, lambda x: np.where(x > 0.5, x, 0)),
    ("relu", {"negative_slope": 0.3, "max_value": 4.0, "threshold": 1.0},
     lambda x: np.where(x > 1.0, np.minimum(x, 4.0), 0.3 * (x - 1.0))),
    ("relu", {"alpha": 0.2}, lambda x: np.where(x > 0, x, 0.2 * x)),  # Keras 2's name for the slope
    ("leaky_relu", {}, lambda x: np.where(x > 0, x, 0.2 * x)),
    ("leaky_relu", {"negative_slope": 0.05}, lambda x: np.where(x > 0, x, 0.05 * x)),
    ("relu6", {}, lambda x: np.clip(x, 0, 6)),
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu", {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("selu", {}, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    ("gelu", {}, lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2)))),
    ("gelu", {"approximate": True},
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", {}, lambda x: x * sigmoid(x)),
    ("swish", {}, lambda x: x * sigmoid(x)),
    ("softplus", {}, softplus),
    ("softsign", {}, lambda x: x / (1 + np.abs(x))),
    ("sigmoid", {}, sigmoid),
    ("hard_sigmoid", {}, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("hard_silu", {}, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hard_swish", {}, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("tanh", {}, np.tanh),
    ("exponential", {}, np.exp),
    ("linear", {}, lambda x: x),
    ("mish", {}, lambda x: x * np.tanh(softplus(x))),
    ("softmax", {}, softmax),
    ("softmax", {"axis": 0}, lambda x: softmax(x, axis=0)),
    ("log_softmax", {}, lambda x: np.log(softmax(x))),
    ("log_softmax", {"axis": 0}, lambda x: np.log(softmax(x, axis=0))),
]


@pytest.mark.parametrize("name,kwargs,ref", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_activation_matches_numpy(name, kwargs, ref):
    out = getattr(activations, name)(K.convert_to_tensor(X), **kwargs)
    assert K.dtype(out) == "float32" and K.int_shape(out) == X.shape
    np.testing.assert_allclose(npv(out), ref(X64), rtol=2e-5, atol=1e-6)


def test_activations_take_numpy_arrays_and_variables():
    v = K.variable(X)
    np.testing.assert_allclose(npv(activations.mish(v)), X64 * np.tanh(softplus(X64)), rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(npv(activations.hard_silu(X)), X64 * np.clip(X64 + 3, 0, 6) / 6, rtol=2e-5, atol=1e-6)


def test_softmax_of_a_vector_is_one_distribution():
    x = X[1]
    out = npv(activations.softmax(x))
    np.testing.assert_allclose(out, softmax(X64[1]), rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-6)


def test_relu_slope_given_twice():
    with pytest.raises(TypeError, match="negative_slope.*alpha"):
        activations.relu(X, negative_slope=0.1, alpha=0.2)


def test_get_and_serialize_round_trip():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get(np.tanh) is np.tanh
    for name, fn in activations.ALL_OBJECTS.items():
        assert activations.get(name) is fn
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"  # one function, two names
    assert activations.deserialize({"class_name": "function", "config": "gelu"}) is activations.gelu


def test_own_activation_by_name():
    def scaled_tanh(x):
        return K.tanh(x) * 2.0

    with custom_object_scope({"scaled_tanh": scaled_tanh}):
        assert activations.get("scaled_tanh") is scaled_tanh
    assert activations.serialize(scaled_tanh) == "scaled_tanh"


def test_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation: 'rellu'.*'relu'.*'sigmoid'"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="Unknown activation: 'nope'"):
        activations.deserialize("nope")
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 3"):
        activations.get(3)


def test_relu_at_the_kink_and_at_non_finite_values():
    # gradient 0 at exactly 0 on every engine (dead inputs such as MNIST's black border give exact zeros
    # through a zero-bias layer, so a 0.5 there would change training); NaN stays NaN, -inf gives 0
    x = np.array([-1.0, 0.0, -0.0, 2.0], np.float32)
    _, grad = K.value_and_grad(lambda t: K.sum(K.relu(t)))(K.constant(x))
    np.testing.assert_array_equal(npv(grad), [0.0, 0.0, 0.0, 1.0])
    out = npv(K.relu(K.constant(np.array([np.nan, -np.inf, np.inf, 0.0], np.float32))))
    assert np.isnan(out[0]) and out[1:].tolist() == [0.0, np.inf, 0.0]
