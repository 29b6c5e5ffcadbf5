"""core.layers' core layers on the active engine: forward passes against float64
numpy formulas, Dense's gradient, symbolic output shapes, weights, masks,
dropout statistics and seeding, legacy Keras 1/2 keywords, configs and errors."""

import json
import warnings

import numpy as np
import pytest

import kbackend as K
from core import constraints, initializers, layers, regularizers
from core.engine.masks import get_mask
from core.layers import Input
from core.layers.core import lambda_layer
from core.utils import set_random_seed

RNG = np.random.default_rng(0)


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {None: lambda z: z, "linear": lambda z: z, "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
               "sigmoid": sigmoid, "softmax": softmax}


def lambda_double(x):
    """A module-level function: Lambda configs record it by name."""
    return x * 2.0


# --- Dense ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5)], ids=["2d", "3d"])
def test_dense_forward(activation, shape):
    x, w, b = rand(*shape), rand(5, 3), rand(3)
    layer = layers.Dense(3, activation=activation, weights=[w, b])
    out = layer(x)
    ref = ACTIVATIONS[activation](x.astype(np.float64) @ w.astype(np.float64) + b)
    assert tuple(K.int_shape(out)) == shape[:-1] + (3,)
    assert K.dtype(out) == "float32"
    np.testing.assert_allclose(npv(out), ref, rtol=1e-5, atol=1e-6)


def test_dense_without_bias_and_callable_activation():
    x, w = rand(4, 5), rand(5, 2)
    layer = layers.Dense(2, use_bias=False, activation=K.square)
    layer.build((None, 5))
    layer.set_weights([w])
    assert [v.name for v in layer.weights] == ["kernel"] and layer.bias is None
    np.testing.assert_allclose(npv(layer(x)), np.square(x.astype(np.float64) @ w), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", [None, "tanh"])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5)], ids=["2d", "3d"])
def test_dense_gradient_of_output_sum(activation, shape):
    x, w, b = rand(*shape), rand(5, 3), rand(3)
    layer = layers.Dense(3, activation=activation, weights=[w, b])
    layer(x)  # built on the first call
    grads = K.gradients(lambda: K.sum(layer(x)), layer.trainable_weights)
    x64 = x.astype(np.float64).reshape(-1, 5)
    z = x64 @ w + b
    upstream = np.ones_like(z) if activation is None else 1 - np.tanh(z) ** 2  # d sum(act(z)) / dz
    np.testing.assert_allclose(npv(grads[0]), x64.T @ upstream, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(npv(grads[1]), upstream.sum(axis=0), rtol=1e-4, atol=1e-5)


def test_dense_weights_order_shapes_and_counts():
    layer = layers.Dense(512)
    layer.build((None, 784))
    assert [v.name for v in layer.weights] == ["kernel", "bias"]
    assert [tuple(v.shape) for v in layer.weights] == [(784, 512), (512,)]
    assert [v.path for v in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.count_params() == 401_920 == 784 * 512 + 512
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(512))
    limit = np.sqrt(6 / (784 + 512))  # glorot_uniform
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit and kernel.std() > limit / 3


def test_dense_regularizers_and_constraints_reach_the_variables():
    max_norm = constraints.MaxNorm(2.0)
    layer = layers.Dense(3, kernel_regularizer=regularizers.L2(0.5), bias_regularizer="l1",
                         kernel_constraint=max_norm, bias_constraint="non_neg", bias_initializer="ones")
    layer.build((None, 4))
    assert layer.kernel.constraint is max_norm
    assert isinstance(layer.bias.constraint, constraints.NonNeg)
    kernel = layer.kernel.numpy().astype(np.float64)
    penalties = sorted(float(npv(p)) for p in layer.losses)
    np.testing.assert_allclose(penalties, sorted([0.5 * np.square(kernel).sum(), 0.01 * 3.0]), rtol=1e-5)


def test_dense_reads_values_from_a_stateless_scope():
    x, w, b = rand(2, 4), rand(4, 3), rand(3)
    layer = layers.Dense(3)
    layer.build((None, 4))
    with K.StatelessScope({layer.kernel: w, layer.bias: b}):
        out = layer(x)
    np.testing.assert_allclose(npv(out), x.astype(np.float64) @ w + b, rtol=1e-5, atol=1e-6)


def test_dense_wrong_last_dim_names_the_layer():
    layer = layers.Dense(2, name="my_dense")
    layer(rand(3, 4))
    with pytest.raises(ValueError, match=r"my_dense.*axis -1.*value 4"):
        layer(rand(3, 5))
    with pytest.raises(ValueError, match="my_dense"):
        layer(Input((5,)))
    with pytest.raises(ValueError, match=r"my_dense.*min_ndim=2"):
        layer(K.convert_to_tensor(rand(4)))


def test_dense_bad_units():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="units"):
        layers.Dense(2.5)
    with pytest.raises(NotImplementedError, match="LoRA"):
        layers.Dense(2, lora_rank=4)


# --- Embedding ------------------------------------------------------------------------------------------------------

def test_embedding_lookup_int_and_float_indices():
    table = rand(10, 4)
    idx = RNG.integers(0, 10, size=(3, 5))
    layer = layers.Embedding(10, 4, weights=[table])
    assert layer.built and [tuple(v.shape) for v in layer.weights] == [(10, 4)]
    assert layer.weights[0].name == "embeddings"
    for indices in (idx.astype(np.int32), idx.astype(np.int64), idx.astype(np.float32), idx.astype(np.float64)):
        out = layer(indices)
        assert K.dtype(out) == "float32" and tuple(K.int_shape(out)) == (3, 5, 4)
        np.testing.assert_array_equal(npv(out), table.astype(np.float64)[idx])


def test_embedding_single_weights_array_and_default_init():
    table = rand(6, 2)
    np.testing.assert_array_equal(layers.Embedding(6, 2, weights=table).get_weights()[0], table)
    layer = layers.Embedding(100, 8)
    layer.build()
    values = layer.embeddings.numpy()
    assert values.shape == (100, 8) and np.abs(values).max() <= 0.05  # "uniform": U(-0.05, 0.05)
    assert layer.count_params() == 800


def test_embedding_mask_zero():
    idx = np.array([[3, 1, 0, 0], [2, 0, 5, 0]], np.int32)
    masked = layers.Embedding(6, 2, mask_zero=True)
    out = masked(idx)
    np.testing.assert_array_equal(npv(get_mask(out)), idx != 0)
    np.testing.assert_array_equal(npv(masked.compute_mask(idx)), idx != 0)
    assert layers.Embedding(6, 2).compute_mask(idx) is None
    sym = masked(Input((None,), dtype="int32"))
    assert sym.shape == (None, None, 2) and sym._keras_mask.shape == (None, None)


def test_embedding_gradient_counts_lookups():
    idx = np.array([[1, 1, 2], [0, 1, 3]], np.int32)
    layer = layers.Embedding(5, 3)
    layer.build()
    (grad,) = K.gradients(lambda: K.sum(layer(idx)), layer.trainable_weights)
    counts = np.bincount(idx.ravel(), minlength=5).astype(np.float64)
    np.testing.assert_allclose(npv(grad), np.repeat(counts[:, None], 3, axis=1))


# --- Masking --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_output_and_mask(mask_value):
    x = rand(2, 4, 3)
    x[0, 1] = mask_value
    x[1, 3] = mask_value
    x[1, 0, 0] = mask_value  # only one feature equal: the step stays
    layer = layers.Masking(mask_value=mask_value)
    out = layer(x)
    keep = np.any(x != mask_value, axis=-1)
    np.testing.assert_array_equal(npv(out), x.astype(np.float64) * keep[..., None])
    np.testing.assert_array_equal(npv(get_mask(out)), keep)
    np.testing.assert_array_equal(npv(layer.compute_mask(K.convert_to_tensor(x))), keep)


def test_masks_pass_through_mask_supporting_layers():
    x = rand(2, 4, 3)
    x[0, 2] = 0.0
    keep = np.any(x != 0, axis=-1)
    out = layers.Masking()(x)
    for layer in (layers.Dense(5), layers.Activation("relu"), layers.Dropout(0.3), layers.Identity(),
                  layers.ActivityRegularization(l1=0.1)):
        out = layer(out)
        np.testing.assert_array_equal(npv(get_mask(out)), keep, err_msg=type(layer).__name__)
    sym = layers.Dense(5)(layers.Masking()(Input((4, 3))))
    assert sym._keras_mask is not None and sym._keras_mask.shape == (None, 4)


# --- reshaping layers -----------------------------------------------------------------------------------------------

def test_flatten_matches_numpy():
    x = rand(2, 3, 4, 5)
    np.testing.assert_array_equal(npv(layers.Flatten()(x)), x.reshape(2, -1))
    vec = rand(3)
    np.testing.assert_array_equal(npv(layers.Flatten()(vec)), vec.reshape(3, 1))
    # channels_first: channels move last before flattening, so the order matches a channels_last model
    channels_first = layers.Flatten(data_format="channels_first")(x)
    np.testing.assert_array_equal(npv(channels_first), np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))
    assert layers.Flatten(data_format="channels_first").get_config()["data_format"] == "channels_first"
    assert layers.Flatten().get_config()["data_format"] == K.image_data_format()


def test_reshape_matches_numpy():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(npv(layers.Reshape((4, 3))(x)), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(npv(layers.Reshape((-1, 2))(x)), x.reshape(2, 6, 2))
    np.testing.assert_array_equal(npv(layers.Reshape([12])(x)), x.reshape(2, 12))


def test_permute_matches_numpy():
    x = rand(2, 3, 4, 5)
    np.testing.assert_array_equal(npv(layers.Permute((3, 1, 2))(x)), np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_array_equal(npv(layers.Permute((2, 1))(x[..., 0])), np.transpose(x[..., 0], (0, 2, 1)))


def test_repeat_vector_matches_numpy():
    x = rand(2, 3)
    out = layers.RepeatVector(4)(x)
    np.testing.assert_array_equal(npv(out), np.repeat(x[:, None, :], 4, axis=1))


# --- Dropout --------------------------------------------------------------------------------------------------------

def test_dropout_is_identity_at_inference():
    x = rand(50, 20)
    layer = layers.Dropout(0.5)
    for out in (layer(x), layer(x, training=False)):
        np.testing.assert_array_equal(npv(out), x)
    np.testing.assert_array_equal(npv(layers.Dropout(0.0)(x, training=True)), x)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_in_training_drops_about_rate_and_scales(rate):
    x = np.abs(rand(200, 100)) + 0.5
    out = npv(layers.Dropout(rate, seed=3)(x, training=True))
    dropped = out == 0
    assert abs(dropped.mean() - rate) < 0.02  # 20,000 draws: sd of the fraction < 0.0036
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - rate), rtol=1e-6)


def test_dropout_masks_repeat_after_set_random_seed():
    x = np.ones((8, 32), np.float32)
    set_random_seed(123)
    first = npv(layers.Dropout(0.5)(x, training=True))
    set_random_seed(123)
    second = npv(layers.Dropout(0.5)(x, training=True))
    np.testing.assert_array_equal(first, second)
    same_layer = layers.Dropout(0.5)
    assert not np.array_equal(npv(same_layer(x, training=True)), npv(same_layer(x, training=True)))
    np.testing.assert_array_equal(npv(layers.Dropout(0.5, seed=9)(x, training=True)),
                                  npv(layers.Dropout(0.5, seed=9)(x, training=True)))


def test_dropout_noise_shape_broadcasts():
    x = np.ones((4, 6, 5), np.float32)
    out = npv(layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=1)(x, training=True))
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))  # same along axis 1
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < (out == 0).mean() < 1
    with pytest.raises(ValueError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape=(None, 1))(x, training=True)


def test_dropout_bad_rate():
    for rate in (1.5, -0.1, 1.0):
        with pytest.raises(ValueError, match=r"rate must be a float in \[0, 1\)"):
            layers.Dropout(rate)


# --- Lambda, ActivityRegularization, Identity, Activation -------------------------------------------------------------

def test_lambda_forward_arguments_mask_and_training():
    x = rand(2, 3)
    np.testing.assert_allclose(npv(layers.Lambda(lambda t, k: t * k, arguments={"k": 3.0})(x)), x * 3.0, rtol=1e-6)
    seen = {}

    def fn(t, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return t
    layers.Lambda(fn)(x, training=True)
    assert seen == {"mask": None, "training": True}
    both = layers.Lambda(lambda ts: K.concatenate(ts, axis=-1))([x, 2 * x])
    np.testing.assert_allclose(npv(both), np.concatenate([x, 2 * x], axis=-1), rtol=1e-6)
    masked = layers.Lambda(lambda t: t, mask=lambda t, m: K.greater(K.sum(t, axis=-1), 0.0))(x)
    np.testing.assert_array_equal(npv(get_mask(masked)), x.sum(axis=-1) > 0)


def test_lambda_output_shapes():
    inp = Input((4, 3))
    assert layers.Lambda(lambda t: K.sum(t, axis=1))(inp).shape == (None, 3)
    assert layers.Lambda(lambda t: t[:, :2], output_shape=(2, 3))(inp).shape == (None, 2, 3)
    assert layers.Lambda(lambda t: t, output_shape=lambda s: (s[0], 99))(inp).shape == (None, 99)
    assert layers.Lambda(lambda t: K.cast(t, "int32"))(inp).dtype == "int32"
    inp2 = Input((None, 3))
    assert layers.Lambda(lambda t: K.concatenate([t, t], axis=1))(inp2).shape == (None, None, 3)


def test_activity_regularization_adds_its_penalty():
    x = rand(1, 6)  # batch of one: the penalty is the same whether or not it is averaged over the batch
    layer = layers.ActivityRegularization(l1=0.1, l2=0.3)
    out = layer(x)
    np.testing.assert_array_equal(npv(out), x)
    assert len(layer.losses) == 1
    ref = 0.1 * np.abs(x.astype(np.float64)).sum() + 0.3 * np.square(x.astype(np.float64)).sum()
    np.testing.assert_allclose(float(npv(layer.losses[0])), ref, rtol=1e-5)
    layer(x)
    assert len(layer.losses) == 1  # each outermost call starts afresh
    assert layers.ActivityRegularization().get_config()["l1"] == 0.0


def test_identity_and_activation():
    x = rand(3, 4)
    np.testing.assert_array_equal(npv(layers.Identity()(x)), x)
    for name, ref in ACTIVATIONS.items():
        if name is not None:
            np.testing.assert_allclose(npv(layers.Activation(name)(x)), ref(x.astype(np.float64)), rtol=1e-5,
                                       atol=1e-6)


def test_layers_inside_compiled_code():
    idx = RNG.integers(0, 10, (2, 3, 4)).astype(np.int32)
    stack = [layers.Embedding(10, 2), layers.Permute((2, 1, 3)), layers.Reshape((4, -1)), layers.Flatten(),
             layers.RepeatVector(2), layers.Masking(), layers.Dense(3, activation="tanh"), layers.Dropout(0.5)]

    def run(x, training):
        for layer in stack:
            x = layer(x, training=training) if isinstance(layer, layers.Dropout) else layer(x)
        return x
    eager = npv(run(idx, False))
    np.testing.assert_allclose(npv(K.jit(lambda x: run(x, False))(idx)), eager, rtol=1e-5, atol=1e-6)
    dropped = npv(K.jit(lambda x: run(x, True))(idx))
    assert set(np.round(dropped / eager, 4).ravel()) <= {0.0, 2.0}


# --- symbolic output shapes -----------------------------------------------------------------------------------------

SYMBOLIC = [  # (layer factory, input shape without batch, input dtype, expected output shape)
    (lambda: layers.Dense(7), (5,), "float32", (None, 7)),
    (lambda: layers.Dense(7), (None, 5), "float32", (None, None, 7)),
    (lambda: layers.Activation("relu"), (None, 5), "float32", (None, None, 5)),
    (lambda: layers.Dropout(0.5), (3, None), "float32", (None, 3, None)),
    (lambda: layers.Flatten(), (3, 4, 5), "float32", (None, 60)),
    (lambda: layers.Flatten(), (None, 4), "float32", (None, None)),
    (lambda: layers.Flatten(), (), "float32", (None, 1)),
    (lambda: layers.Reshape((2, -1)), (3, 4), "float32", (None, 2, 6)),
    (lambda: layers.Reshape((-1, 4)), (None, 4), "float32", (None, None, 4)),
    (lambda: layers.Permute((2, 1)), (None, 5), "float32", (None, 5, None)),
    (lambda: layers.Permute((3, 1, 2)), (2, 3, 4), "float32", (None, 4, 2, 3)),
    (lambda: layers.RepeatVector(3), (5,), "float32", (None, 3, 5)),
    (lambda: layers.Lambda(lambda t: t[:, 0]), (None, 6), "float32", (None, 6)),
    (lambda: layers.ActivityRegularization(l2=0.1), (None, 2), "float32", (None, None, 2)),
    (lambda: layers.Masking(), (None, 3), "float32", (None, None, 3)),
    (lambda: layers.Identity(), (None, 3), "float32", (None, None, 3)),
    (lambda: layers.Embedding(10, 4), (None,), "int32", (None, None, 4)),
    (lambda: layers.Embedding(10, 4), (6, 2), "int32", (None, 6, 2, 4)),
]


@pytest.mark.parametrize("make,shape,dtype,expected", SYMBOLIC, ids=[f"{i}" for i in range(len(SYMBOLIC))])
def test_symbolic_output_shapes(make, shape, dtype, expected):
    layer = make()
    out = layer(Input(shape, dtype=dtype))
    assert out.shape == expected
    assert out.dtype == "float32"
    assert layer.compute_output_shape((None,) + shape) == expected
    eager_shape = tuple(d if d is not None else 2 for d in (3,) + shape)
    sample = np.ones(eager_shape, dtype)
    eager = tuple(K.int_shape(layer(sample)))
    assert eager == tuple(e if e is not None else a for e, a in zip(expected, eager))


# --- configs --------------------------------------------------------------------------------------------------------

ROUND_TRIPS = [  # (layer, sample input)
    (lambda: layers.Dense(4, activation="tanh", kernel_initializer=initializers.RandomNormal(stddev=0.3, seed=1),
                          kernel_regularizer=regularizers.L1L2(l1=0.1), bias_constraint=constraints.NonNeg(),
                          activity_regularizer="l2"), rand(3, 5)),
    (lambda: layers.Dense(2, use_bias=False, input_shape=(5,)), rand(3, 5)),
    (lambda: layers.Activation("sigmoid"), rand(3, 5)),
    (lambda: layers.Dropout(0.3, noise_shape=(None, 1), seed=4), rand(3, 5)),
    (lambda: layers.Flatten(data_format="channels_first"), rand(2, 3, 4, 5)),
    (lambda: layers.Reshape((-1, 2)), rand(2, 3, 4)),
    (lambda: layers.Permute((2, 3, 1)), rand(2, 3, 4, 5)),
    (lambda: layers.RepeatVector(3), rand(2, 5)),
    (lambda: layers.Lambda(lambda_double, output_shape=(5,)), rand(2, 5)),
    (lambda: layers.ActivityRegularization(l1=0.2, l2=0.4), rand(2, 5)),
    (lambda: layers.Masking(mask_value=0.5), rand(2, 3, 4)),
    (lambda: layers.Identity(name="ident"), rand(2, 3)),
    (lambda: layers.Embedding(10, 3, mask_zero=True, embeddings_regularizer="l2", input_length=4),
     RNG.integers(0, 10, (2, 4)).astype(np.int32)),
]


@pytest.mark.parametrize("make,x", ROUND_TRIPS, ids=[f"{i}" for i in range(len(ROUND_TRIPS))])
def test_config_round_trip(make, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layer = make()
    out = layer(x)
    config = json.loads(json.dumps(layer.get_config()))  # JSON-able
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone(x)  # build, then copy the weights over
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(npv(clone(x)), npv(out), rtol=1e-6)
    again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(again) is type(layer) and again.get_config() == config


def test_dense_config_contents():
    config = layers.Dense(3, activation="relu", kernel_constraint="max_norm").get_config()
    assert config["units"] == 3 and config["activation"] == "relu" and config["use_bias"] is True
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["kernel_constraint"]["class_name"] == "MaxNorm"
    assert config["kernel_regularizer"] is None and config["bias_constraint"] is None


def test_lambda_code_needs_safe_mode_off():
    x = rand(2, 3)
    scale = 4.0
    layer = layers.Lambda(lambda t: t * scale + K.ones_like(t), output_shape=lambda s: s)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.deserialize({"class_name": "Lambda", "config": config})
    clone = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(npv(clone(x)), x * 4.0 + 1.0, rtol=1e-6)
    with lambda_layer.SafeModeScope(False):
        clone = layers.deserialize({"class_name": "Lambda", "config": config})
    assert clone(Input((3,))).shape == (None, 3)


def test_lambda_named_function_and_array_arguments():
    def local_fn(t):  # nested: stored as code, not by name
        return t
    assert layers.Lambda(local_fn).get_config()["function"]["class_name"] == "__lambda__"
    weights = rand(3)
    layer = layers.Lambda(lambda_double, arguments={})
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["config"] == "lambda_double"
    np.testing.assert_allclose(npv(layers.Lambda.from_config(config)(weights[None])), 2 * weights[None], rtol=1e-6)
    renamed = dict(config, function={"class_name": "function", "config": "mine", "module": None})
    with pytest.raises(ValueError, match="Cannot find the function 'mine'"):
        layers.Lambda.from_config(renamed)
    clone = layers.deserialize({"class_name": "Lambda", "config": renamed}, custom_objects={"mine": K.square})
    np.testing.assert_allclose(npv(clone(weights)), weights.astype(np.float64) ** 2, rtol=1e-6)
    with_array = layers.Lambda(lambda t, w: K.multiply(t, w), arguments={"w": weights})
    config = json.loads(json.dumps(with_array.get_config()))
    clone = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(npv(clone(np.ones((2, 3), np.float32))), np.tile(weights, (2, 1)), rtol=1e-6)


def test_lambda_keras2_config():
    layer = layers.Lambda(lambda t: t + 1.0)
    code = layer.get_config()["function"]["config"]["code"]
    keras2 = {"name": "lam", "trainable": True, "function": [code, None, None], "function_type": "lambda",
              "module": "__main__", "output_shape": None, "output_shape_type": "raw", "output_shape_module": None,
              "arguments": {}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(keras2)
    np.testing.assert_allclose(npv(layers.Lambda.from_config(keras2, safe_mode=False)(np.zeros(2, np.float32))),
                               [1.0, 1.0])
    by_name = dict(keras2, function="lambda_double", function_type="function", module=__name__)
    np.testing.assert_allclose(npv(layers.Lambda.from_config(by_name)(np.ones(2, np.float32))), [2.0, 2.0])


def test_layers_namespace():
    assert layers.get("Identity").__class__ is layers.Identity
    dense = layers.Dense(2)
    assert layers.get(dense) is dense
    for cls in (layers.Dense, layers.Embedding, layers.Lambda, layers.InputLayer, layers.Masking, layers.Flatten):
        assert layers._objects()[cls.__name__] is cls
    inp = layers.deserialize({"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "inp"}})
    assert inp.batch_shape == (None, 3)
    with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
        layers.deserialize({"class_name": "Nope", "config": {}})


# --- legacy keywords ------------------------------------------------------------------------------------------------

def test_dense_keras1_keywords():
    max_norm = constraints.MaxNorm(3.0)
    with pytest.warns(DeprecationWarning) as record:
        layer = layers.Dense(output_dim=4, init="ones", W_regularizer=regularizers.L2(0.1),
                             b_regularizer="l1", W_constraint=max_norm, b_constraint="non_neg", bias=True,
                             input_dim=3)
    messages = " ".join(str(w.message) for w in record)
    for new in ("units", "kernel_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                "bias_constraint", "use_bias"):
        assert f"Dense({new}=...)" in messages
    assert layer.units == 4 and layer.use_bias is True
    assert layer.kernel_constraint is max_norm and isinstance(layer.bias_constraint, constraints.NonNeg)
    assert isinstance(layer.kernel_regularizer, regularizers.L2) and layer.kernel_regularizer.l2 == 0.1
    assert layer.get_config()["batch_input_shape"] == [None, 3]
    out = layer(np.ones((2, 3), np.float32))
    np.testing.assert_allclose(npv(out), np.full((2, 4), 3.0))  # kernel of ones, zero bias
    with pytest.warns(DeprecationWarning, match="use_bias"):
        assert layers.Dense(2, bias=False).use_bias is False


def test_other_legacy_keywords():
    with pytest.warns(DeprecationWarning, match=r"Dropout\(rate=\.\.\.\)"):
        assert layers.Dropout(p=0.25).rate == 0.25
    with pytest.warns(DeprecationWarning) as record:
        layer = layers.Embedding(5, 2, init="zeros", W_regularizer="l2", W_constraint="non_neg", input_length=7)
    assert len(record) == 4 and "input_shape=(input_length,)" in str(record[-1].message)
    assert isinstance(layer.embeddings_initializer, initializers.Zeros)
    assert isinstance(layer.embeddings_regularizer, regularizers.L2)
    assert layer.get_config()["batch_input_shape"] == [None, 7]
    with pytest.raises(TypeError, match="got both `output_dim`"):
        layers.Dense(3, output_dim=4)
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Dense(3, nonsense=1)


# --- errors ---------------------------------------------------------------------------------------------------------

def test_reshape_errors():
    with pytest.raises(ValueError, match=r"Layer 'rs' \(Reshape\) cannot reshape .*\(None, 3, 4\).*\(5, -1\)"):
        layers.Reshape((5, -1), name="rs")(Input((3, 4)))
    with pytest.raises(ValueError, match=r"Layer 'rs2' \(Reshape\) cannot reshape .*\(2, 3, 4\).*\(5, 2\)"):
        layers.Reshape((5, 2), name="rs2")(rand(2, 3, 4))
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="positive ints"):
        layers.Reshape((0, 3))
    with pytest.raises(TypeError, match="tuple of ints"):
        layers.Reshape(6)


def test_permute_and_repeat_vector_errors():
    for dims in ((0, 1), (1, 3), (2, 2), (1, 2, 4)):
        with pytest.raises(ValueError, match="dims must be a permutation"):
            layers.Permute(dims)
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=4"):
        layers.Permute((2, 1))(rand(2, 3, 4, 5))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="expected ndim=2"):
        layers.RepeatVector(2)(Input((3, 4)))


def test_other_constructor_errors():
    with pytest.raises(TypeError, match="Lambda needs a callable"):
        layers.Lambda(3)
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="Unknown activation"):
        layers.Activation("nope")
    with pytest.raises(ValueError, match="data_format"):
        layers.Flatten(data_format="channels_middle")
