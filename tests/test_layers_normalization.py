"""core.layers' normalization layers on the active engine: BatchNormalization
(inference and training, the moving-statistics update, masks, frozen layers,
one fit step), LayerNormalization, GroupNormalization and UnitNormalization
against float64 numpy formulas, gradients, weights, configs, shapes, errors."""

import numpy as np
import pytest

import kbackend as K
from core import layers, regularizers
from core.layers import Input
from core.models import Sequential
from kbackend.conformance.references import central_difference

RNG = np.random.default_rng(0)
EPS = 1e-3


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape).astype(np.float32)


def along(v, axis, ndim):
    """A per-channel vector shaped to broadcast along axis of a rank-ndim array."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v, np.float64).reshape(shape)


def bn_reference(x, mean, var, gamma, beta, axis):
    x = x.astype(np.float64)
    nd = x.ndim
    return (x - along(mean, axis, nd)) / np.sqrt(along(var, axis, nd) + EPS) * along(gamma, axis, nd) + \
        along(beta, axis, nd)


def bn_weights(c):
    return [positive(c), rand(c), rand(c), positive(c)]  # gamma, beta, moving_mean, moving_variance


# --- BatchNormalization ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis", [((6, 4), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 5), 1)],
                         ids=["dense", "channels_last", "channels_first"])
def test_batchnorm_inference_uses_moving_statistics(shape, axis):
    c = shape[axis]
    x, weights = rand(*shape), bn_weights(c)
    layer = layers.BatchNormalization(axis=axis, weights=weights)
    ref = bn_reference(x, weights[2], weights[3], weights[0], weights[1], axis % len(shape))
    for training in (None, False):
        np.testing.assert_allclose(npv(layer(x, training=training)), ref, rtol=1e-5, atol=1e-5)
    for got, want in zip(layer.get_weights(), weights):  # inference leaves the moving statistics alone
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape,axis", [((8, 3), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 5), 1)],
                         ids=["dense", "channels_last", "channels_first"])
def test_batchnorm_training_normalizes_with_batch_statistics_and_updates_moving_ones(shape, axis):
    axis = axis % len(shape)
    c = shape[axis]
    x, weights = rand(*shape) * 3 + 1, bn_weights(c)
    layer = layers.BatchNormalization(axis=axis, momentum=0.9, weights=weights)
    out = layer(x, training=True)
    reduce = tuple(a for a in range(len(shape)) if a != axis)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=reduce), x64.var(axis=reduce)  # ddof=0, as Keras 3
    np.testing.assert_allclose(npv(out), bn_reference(x, mean, var, weights[0], weights[1], axis), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), weights[2] * 0.9 + mean * 0.1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), weights[3] * 0.9 + var * 0.1, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.gamma.numpy(), weights[0])  # trainable weights untouched by a call


def test_batchnorm_two_training_calls_compound_the_update():
    x1, x2 = rand(5, 3), rand(5, 3) + 2
    layer = layers.BatchNormalization(momentum=0.5)
    layer(x1, training=True)
    layer(x2, training=True)
    expect = (0 * 0.5 + x1.astype(np.float64).mean(0) * 0.5) * 0.5 + x2.astype(np.float64).mean(0) * 0.5
    np.testing.assert_allclose(layer.moving_mean.numpy(), expect, rtol=1e-5, atol=1e-6)


def test_batchnorm_mask_restricts_batch_statistics_to_unmasked_steps():
    x = rand(3, 4, 2) * 2 + 1
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
    layer = layers.BatchNormalization(momentum=0.0, center=False, scale=False)
    out = layer(x, training=True, mask=K.convert_to_tensor(mask))
    kept = x.astype(np.float64)[mask]  # (unmasked steps, channels)
    mean, var = kept.mean(0), kept.var(0)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(out), (x - mean) / np.sqrt(var + EPS), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="mask must cover"):
        layer(x, training=True, mask=K.convert_to_tensor(np.ones((3,), bool)))


def test_batchnorm_mask_from_embedding_flows_through_a_model():
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    emb = layers.Embedding(4, 2, mask_zero=True)
    bn = layers.BatchNormalization(momentum=0.0)
    bn(emb(ids), training=True)
    table = emb.embeddings.numpy().astype(np.float64)
    kept = table[ids[ids != 0]]
    np.testing.assert_allclose(bn.moving_mean.numpy(), kept.mean(0), rtol=1e-5, atol=1e-6)


def test_frozen_batchnorm_runs_in_inference_mode():
    x, weights = rand(6, 3), bn_weights(3)
    layer = layers.BatchNormalization(weights=weights)
    layer.trainable = False
    out = layer(x, training=True)
    np.testing.assert_allclose(npv(out), bn_reference(x, weights[2], weights[3], weights[0], weights[1], 1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), weights[2])
    assert layer.trainable_weights == []
    assert [v.name for v in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [v.name for v in layer.non_trainable_weights] == ["gamma", "beta", "moving_mean", "moving_variance"]


def test_batchnorm_fit_one_step_moves_the_statistics_by_one_update():
    n = 16
    x = rand(n, 4)
    y = rand(n, 1)
    model = Sequential([Input((4,)), layers.Dense(3), layers.BatchNormalization(momentum=0.9), layers.Dense(1)])
    dense, bn = model.layers[0], model.layers[1]
    kernel, bias = (w.astype(np.float64) for w in dense.get_weights())
    before = [w.copy() for w in bn.get_weights()]
    np.testing.assert_array_equal(before[2], np.zeros(3))
    np.testing.assert_array_equal(before[3], np.ones(3))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=n, epochs=1, shuffle=False, verbose=0)
    h = x.astype(np.float64) @ kernel + bias  # the step's forward pass sees the weights before its update
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * h.mean(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * h.var(0), rtol=1e-4, atol=1e-6)
    assert not np.allclose(bn.gamma.numpy(), before[0])  # gamma trained
    # prediction runs in inference mode: the moving statistics stay put
    model.predict(x, verbose=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * h.mean(0), rtol=1e-4, atol=1e-6)


def test_batchnorm_gradients_in_training_mode():
    x64 = RNG.standard_normal((5, 3))
    r = RNG.standard_normal((5, 3))
    gamma, beta = positive(3), rand(3)
    layer = layers.BatchNormalization(weights=[gamma, beta, np.zeros(3, np.float32), np.ones(3, np.float32)])
    xv = K.Variable(x64.astype(np.float32))
    layer(xv)  # built (inference: no update)
    grads = K.gradients(lambda: K.sum(K.multiply(layer(xv, training=True), r)), [xv, layer.gamma, layer.beta])

    def f(x):
        xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + EPS)
        return np.sum((xhat * gamma + beta) * r)
    xhat = (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + EPS)
    np.testing.assert_allclose(npv(grads[0]), central_difference(f, x64), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(npv(grads[1]), (r * xhat).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(npv(grads[2]), r.sum(0), rtol=1e-4, atol=1e-5)


def test_batchnorm_weights_order_shapes_and_counts():
    layer = layers.BatchNormalization()
    layer.build((None, 8, 5))
    assert [v.name for v in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [tuple(v.shape) for v in layer.weights] == [(5,)] * 4
    assert [v.name for v in layer.trainable_weights] == ["gamma", "beta"]
    assert [v.name for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert layer.count_params() == 20
    np.testing.assert_array_equal(layer.gamma.numpy(), np.ones(5))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(5))
    no_scale = layers.BatchNormalization(scale=False)
    no_scale.build((None, 5))
    assert [v.name for v in no_scale.weights] == ["beta", "moving_mean", "moving_variance"] and no_scale.gamma is None
    no_center = layers.BatchNormalization(center=False, axis=1)
    no_center.build((None, 3, 7))
    assert [(v.name, tuple(v.shape)) for v in no_center.weights] == [("gamma", (3,)), ("moving_mean", (3,)),
                                                                    ("moving_variance", (3,))]


def test_batchnorm_without_center_and_scale():
    x, mm, mv = rand(4, 3), rand(3), positive(3)
    layer = layers.BatchNormalization(center=False, scale=False, weights=[mm, mv])
    np.testing.assert_allclose(npv(layer(x)), (x - mm.astype(np.float64)) / np.sqrt(mv.astype(np.float64) + EPS),
                               rtol=1e-5, atol=1e-5)


def test_batchnorm_regularizer_reaches_losses():
    layer = layers.BatchNormalization(gamma_regularizer=regularizers.L2(0.5), gamma_initializer="ones")
    layer.build((None, 4))
    np.testing.assert_allclose([npv(p) for p in layer.losses], [0.5 * 4.0], rtol=1e-6)


def test_batchnorm_config_round_trip_and_keras2_config():
    x, weights = rand(3, 2, 4, 5), bn_weights(2)
    layer = layers.BatchNormalization(axis=1, momentum=0.8, epsilon=1e-2, beta_initializer="ones",
                                      gamma_regularizer="l2", synchronized=True)
    layer.build(x.shape)
    layer.set_weights(weights)
    config = layer.get_config()
    assert {k: config[k] for k in ("axis", "momentum", "epsilon", "center", "scale", "synchronized")} == \
        {"axis": 1, "momentum": 0.8, "epsilon": 1e-2, "center": True, "scale": True, "synchronized": True}
    clone = layers.BatchNormalization.from_config(config)
    clone.build(x.shape)
    clone.set_weights(weights)
    np.testing.assert_array_equal(npv(clone(x)), npv(layer(x)))
    # the shape of a tf.keras 2 config: axis as a list, options that are off
    keras2 = {"name": "bn", "trainable": True, "dtype": "float32", "axis": [3], "momentum": 0.99, "epsilon": 0.001,
              "center": True, "scale": True, "renorm": False, "fused": None, "virtual_batch_size": None,
              "adjustment": None}
    assert layers.deserialize({"class_name": "BatchNormalization", "config": keras2}).axis == 3


def test_batchnorm_symbolic_shapes_and_errors():
    bn = layers.BatchNormalization(name="my_bn")
    assert bn(Input((None, 3))).shape == (None, None, 3)
    with pytest.raises(ValueError, match=r"my_bn.*axis -1"):
        bn(rand(2, 5, 4))
    with pytest.raises(ValueError, match="must be known"):
        layers.BatchNormalization()(Input((3, None)))
    with pytest.raises(ValueError, match="out of range"):
        layers.BatchNormalization(axis=3)(rand(2, 3))
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\]"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(TypeError, match="axis must be"):
        layers.BatchNormalization(axis="last")
    with pytest.raises(ValueError, match="one axis"):
        layers.BatchNormalization(axis=[1, 2])
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.BatchNormalization(renorm=True)


def test_batchnorm_keras1_spellings_warn():
    with pytest.warns(DeprecationWarning, match=r"gamma_initializer"):
        layer = layers.BatchNormalization(gamma_init="zeros", mode=0)
    layer.build((None, 2))
    np.testing.assert_array_equal(layer.gamma.numpy(), np.zeros(2))


# --- LayerNormalization ---------------------------------------------------------------------------------------------

def ln_reference(x, axes, gamma=None, beta=None, rms=False):
    x = x.astype(np.float64)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    var = x.var(axis=axes, keepdims=True)
    if rms:
        return x / np.sqrt(var + EPS) * gamma.reshape(shape)
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(var + EPS)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    return out if beta is None else out + beta.reshape(shape)


@pytest.mark.parametrize("shape,axis,axes", [((4, 6), -1, (1,)), ((2, 3, 5), -1, (2,)), ((2, 3, 5), [1, 2], (1, 2)),
                                             ((2, 3, 5), 1, (1,)), ((2, 3, 4, 5), [-3, -1], (1, 3))],
                         ids=["2d", "3d-last", "3d-both", "3d-middle", "4d-two"])
def test_layernorm_forward(shape, axis, axes):
    x = rand(*shape) * 2 + 1
    param = tuple(shape[a] for a in axes)
    gamma, beta = positive(*param), rand(*param)
    layer = layers.LayerNormalization(axis=axis, weights=[gamma, beta])
    np.testing.assert_allclose(npv(layer(x)), ln_reference(x, axes, gamma, beta), rtol=1e-4, atol=1e-5)


def test_layernorm_options_center_scale_rms():
    x = rand(3, 6) + 2
    plain = layers.LayerNormalization(center=False, scale=False)
    np.testing.assert_allclose(npv(plain(x)), ln_reference(x, (1,)), rtol=1e-4, atol=1e-5)
    assert plain.weights == []
    gamma = positive(6)
    rms = layers.LayerNormalization(rms_scaling=True, weights=[gamma])
    np.testing.assert_allclose(npv(rms(x)), ln_reference(x, (1,), gamma, rms=True), rtol=1e-4, atol=1e-5)
    assert [v.name for v in rms.weights] == ["gamma"]


def test_layernorm_gradients():
    x64 = RNG.standard_normal((3, 4))
    r = RNG.standard_normal((3, 4))
    gamma, beta = positive(4), rand(4)
    layer = layers.LayerNormalization(weights=[gamma, beta])
    xv = K.Variable(x64.astype(np.float32))
    layer(xv)
    grads = K.gradients(lambda: K.sum(K.multiply(layer(xv), r)), [xv, layer.gamma, layer.beta])
    xhat = ln_reference(x64, (1,))
    np.testing.assert_allclose(npv(grads[0]), central_difference(lambda x: np.sum(
        ln_reference(x, (1,), gamma.astype(np.float64), beta) * r), x64), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(npv(grads[1]), (r * xhat).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(npv(grads[2]), r.sum(0), rtol=1e-4, atol=1e-5)


def test_layernorm_weights_config_shapes_errors():
    layer = layers.LayerNormalization(axis=[1, 2], epsilon=1e-2, beta_regularizer="l1", name="my_ln")
    assert layer(Input((3, 4))).shape == (None, 3, 4)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("gamma", (3, 4)), ("beta", (3, 4))]
    assert layer.count_params() == 24
    x = rand(2, 3, 4)
    layer.set_weights([positive(3, 4), rand(3, 4)])
    config = layer.get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-2 and config["rms_scaling"] is False
    clone = layers.LayerNormalization.from_config(config)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(npv(clone(x)), npv(layer(x)))
    with pytest.raises(ValueError, match=r"my_ln.*axis 2"):
        layer(rand(2, 3, 5))
    with pytest.raises(ValueError, match="must be known"):
        layers.LayerNormalization()(Input((None,)))
    with pytest.raises(ValueError, match="out of range"):
        layers.LayerNormalization(axis=2)(rand(2, 3))
    with pytest.raises(ValueError, match="epsilon"):
        layers.LayerNormalization(epsilon=-1.0)


def test_layernorm_negative_axis_serves_inputs_of_other_ranks():
    layer = layers.LayerNormalization()
    layer(rand(2, 4))
    x = rand(2, 3, 4)
    np.testing.assert_allclose(npv(layer(x)), ln_reference(x, (2,)), rtol=1e-4, atol=1e-5)


# --- GroupNormalization ---------------------------------------------------------------------------------------------

def gn_reference(x, groups, axis, gamma, beta):
    x = x.astype(np.float64)
    moved = np.moveaxis(x, axis, -1)  # (batch, ..., channels)
    b, c = moved.shape[0], moved.shape[-1]
    grouped = moved.reshape(b, -1, groups, c // groups)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    out = ((grouped - mean) / np.sqrt(var + EPS)).reshape(moved.shape) * gamma + beta
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("shape,axis,groups", [((2, 5, 6), -1, 3), ((2, 4, 3, 3), 1, 2), ((2, 3, 2, 4), -1, -1),
                                               ((3, 4), -1, 1)],
                         ids=["channels_last", "channels_first", "instance", "one_group"])
def test_groupnorm_forward(shape, axis, groups):
    x = rand(*shape) * 2 + 1
    c = shape[axis]
    gamma, beta = positive(c), rand(c)
    layer = layers.GroupNormalization(groups=groups, axis=axis, weights=[gamma, beta])
    ref = gn_reference(x, c if groups == -1 else groups, axis % len(shape), gamma, beta)
    np.testing.assert_allclose(npv(layer(x)), ref, rtol=1e-4, atol=1e-5)


def test_groupnorm_gradient_wrt_input_and_weights():
    x64 = RNG.standard_normal((2, 3, 4))
    r = RNG.standard_normal((2, 3, 4))
    gamma, beta = positive(4), rand(4)
    layer = layers.GroupNormalization(groups=2, weights=[gamma, beta])
    xv = K.Variable(x64.astype(np.float32))
    layer(xv)
    grads = K.gradients(lambda: K.sum(K.multiply(layer(xv), r)), [xv, layer.gamma, layer.beta])
    expect = central_difference(lambda x: np.sum(gn_reference(x, 2, 2, gamma, beta) * r), x64)
    np.testing.assert_allclose(npv(grads[0]), expect, rtol=1e-3, atol=1e-4)
    xhat = gn_reference(x64, 2, 2, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(npv(grads[1]), (r * xhat).sum((0, 1)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(npv(grads[2]), r.sum((0, 1)), rtol=1e-4, atol=1e-5)


def test_groupnorm_weights_config_shapes_errors():
    layer = layers.GroupNormalization(groups=4, name="my_gn")
    assert layer(Input((None, None, 8))).shape == (None, None, None, 8)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("gamma", (8,)), ("beta", (8,))]
    x = rand(2, 3, 2, 8)
    layer.set_weights([positive(8), rand(8)])
    clone = layers.GroupNormalization.from_config(layer.get_config())
    assert clone.groups == 4 and clone.axis == -1
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(npv(clone(x)), npv(layer(x)))
    with pytest.raises(ValueError, match=r"my_gn.*axis -1"):
        layer(rand(2, 3, 2, 6))
    with pytest.raises(ValueError, match="cannot be split into groups=4"):
        layers.GroupNormalization(groups=4)(rand(2, 6))
    with pytest.raises(ValueError, match="cannot be split into groups=32"):
        layers.GroupNormalization()(rand(2, 8))
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="batch axis"):
        layers.GroupNormalization(groups=1, axis=0)(rand(2, 3))
    with pytest.raises(TypeError, match="axis must be an int"):
        layers.GroupNormalization(axis=[1, 2])


# --- UnitNormalization ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis,axes", [(-1, (2,)), ([1, 2], (1, 2))])
def test_unitnorm_forward_config_and_shape(axis, axes):
    x = rand(2, 3, 4)
    layer = layers.UnitNormalization(axis=axis)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(npv(layer(x)), x64 / np.sqrt((x64 ** 2).sum(axis=axes, keepdims=True)), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(npv(layer(np.zeros((1, 3, 4), np.float32))), np.zeros((1, 3, 4)))
    assert layers.UnitNormalization.from_config(layer.get_config()).axis == axis
    assert layer(Input((None, 4))).shape == (None, None, 4)
    with pytest.raises(ValueError, match="out of range"):
        layers.UnitNormalization(axis=3)(Input((4,)))


def test_normalization_layers_are_exported():
    from core.layers import normalization
    assert set(normalization.__all__) == {"BatchNormalization", "GroupNormalization", "LayerNormalization",
                                          "UnitNormalization"}
    assert all(getattr(layers, name) is getattr(normalization, name) for name in normalization.__all__)
