"""core.layers' regularization layers on the active engine: identity at
inference, the statistics of their noise in training (channel-wise zeroing
for SpatialDropout), seeding, configs, shapes and errors."""

import warnings

import numpy as np
import pytest

import kbackend as K
from core import layers
from core.layers import Input
from core.models import Sequential
from core.utils import set_random_seed

RNG = np.random.default_rng(0)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def noise_layers():
    return [layers.SpatialDropout1D(0.5), layers.SpatialDropout2D(0.5), layers.SpatialDropout3D(0.5),
            layers.GaussianNoise(0.5), layers.GaussianDropout(0.5), layers.AlphaDropout(0.5)]


RANKS = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5}


@pytest.mark.parametrize("index", range(6))
def test_identity_at_inference(index):
    layer = noise_layers()[index]
    x = rand(*(2, 3, 4, 5, 6)[:RANKS.get(type(layer).__name__, 3)])
    for training in (None, False):
        np.testing.assert_array_equal(npv(layer(x, training=training)), x)
    assert not np.allclose(npv(layer(x, training=True)), x)


# --- SpatialDropout -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,shape,data_format", [
    (layers.SpatialDropout1D, (40, 6, 25), None),
    (layers.SpatialDropout2D, (40, 3, 4, 25), "channels_last"),
    (layers.SpatialDropout2D, (40, 25, 3, 4), "channels_first"),
    (layers.SpatialDropout3D, (40, 2, 3, 2, 25), "channels_last"),
    (layers.SpatialDropout3D, (40, 25, 2, 3, 2), "channels_first"),
], ids=["1d", "2d-last", "2d-first", "3d-last", "3d-first"])
def test_spatial_dropout_drops_whole_channels(cls, shape, data_format):
    rate = 0.4
    x = RNG.uniform(1, 2, shape).astype(np.float32)
    kwargs = {} if data_format is None else {"data_format": data_format}
    out = npv(cls(rate, seed=7, **kwargs)(x, training=True))
    channel_axis = 1 if data_format == "channels_first" else len(shape) - 1
    out_c, x_c = np.moveaxis(out, channel_axis, -1), np.moveaxis(x, channel_axis, -1).astype(np.float64)
    out_c, x_c = out_c.reshape(shape[0], -1, 25), x_c.reshape(shape[0], -1, 25)  # (batch, positions, channels)
    dropped = np.all(out_c == 0, axis=1)
    kept = np.all(np.isclose(out_c, x_c / (1 - rate), rtol=1e-6), axis=1)
    assert np.all(dropped ^ kept)  # each (example, channel) entirely dropped or entirely kept and rescaled
    assert abs(dropped.mean() - rate) < 0.06  # 1000 channel draws: binomial sd ~ 0.015


def test_spatial_dropout_seeds_configs_shapes_and_errors():
    x = rand(4, 3, 3, 8)
    set_random_seed(11)
    first = npv(layers.SpatialDropout2D(0.5)(x, training=True))
    set_random_seed(11)
    np.testing.assert_array_equal(npv(layers.SpatialDropout2D(0.5)(x, training=True)), first)
    layer = layers.SpatialDropout2D(0.3, data_format="channels_first", seed=2, name="sd")
    config = layer.get_config()
    assert {k: config[k] for k in ("rate", "data_format", "seed")} == {"rate": 0.3, "data_format": "channels_first",
                                                                      "seed": 2}
    assert "noise_shape" not in config
    clone = layers.SpatialDropout2D.from_config(config)
    np.testing.assert_array_equal(npv(clone(x, training=True)), npv(layer(x, training=True)))
    assert "data_format" not in layers.SpatialDropout1D(0.2).get_config()
    assert layers.SpatialDropout3D(0.2)(Input((None, 3, 4, 5))).shape == (None, None, 3, 4, 5)
    with pytest.raises(ValueError, match=r'"sd".*expected ndim=4'):
        layer(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r"SpatialDropout1D: rate must be a float in \[0, 1\)"):
        layers.SpatialDropout1D(1.0)
    with pytest.raises(ValueError, match="SpatialDropout2D: data_format must be one of"):
        layers.SpatialDropout2D(0.5, data_format="NHWC")
    with pytest.warns(DeprecationWarning, match=r"data_format='channels_first'"):
        old = layers.SpatialDropout2D(0.5, dim_ordering="th")
    assert old.data_format == "channels_first"
    with pytest.warns(DeprecationWarning, match=r"rate="):
        assert layers.SpatialDropout1D(p=0.25).rate == 0.25


# --- GaussianNoise / GaussianDropout --------------------------------------------------------------------------------

def test_gaussian_noise_statistics():
    x = RNG.uniform(-1, 1, (400, 500)).astype(np.float32)
    noise = npv(layers.GaussianNoise(0.3, seed=1)(x, training=True)) - x
    assert abs(noise.mean()) < 0.003  # sd of the mean: 0.3 / sqrt(2e5) ~ 0.0007
    assert abs(noise.std() - 0.3) < 0.003
    np.testing.assert_array_equal(npv(layers.GaussianNoise(0.0)(x, training=True)), x)


def test_gaussian_dropout_statistics():
    rate = 0.2
    x = RNG.uniform(1, 2, (400, 500)).astype(np.float32)
    factor = npv(layers.GaussianDropout(rate, seed=1)(x, training=True)) / x
    assert abs(factor.mean() - 1) < 0.005
    assert abs(factor.var() - rate / (1 - rate)) < 0.005  # 0.25, sd of the estimate ~ 0.0008


@pytest.mark.parametrize("cls,arg", [(layers.GaussianNoise, 1.0), (layers.GaussianDropout, 0.5),
                                     (layers.AlphaDropout, 0.5)])
def test_noise_repeats_for_the_same_seed(cls, arg):
    x = rand(3, 4)
    set_random_seed(5)
    first = npv(cls(arg)(x, training=True))
    set_random_seed(5)
    same_layer = cls(arg)
    np.testing.assert_array_equal(npv(same_layer(x, training=True)), first)
    assert not np.array_equal(npv(same_layer(x, training=True)), first)  # the generator moves on
    np.testing.assert_array_equal(npv(cls(arg, seed=3)(x, training=True)), npv(cls(arg, seed=3)(x, training=True)))


def test_gaussian_configs_and_errors():
    noise = layers.GaussianNoise(0.25, seed=4)
    assert {k: noise.get_config()[k] for k in ("stddev", "seed")} == {"stddev": 0.25, "seed": 4}
    drop = layers.GaussianDropout(0.1, seed=4)
    assert {k: drop.get_config()[k] for k in ("rate", "seed")} == {"rate": 0.1, "seed": 4}
    assert noise(Input((None, 3))).shape == (None, None, 3)
    with pytest.raises(ValueError, match="stddev must be a non-negative float"):
        layers.GaussianNoise(-0.1)
    with pytest.raises(ValueError, match=r"GaussianDropout: rate must be a float in \[0, 1\)"):
        layers.GaussianDropout(1.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        layers.GaussianNoise(0.1, seed="x")
    with pytest.warns(DeprecationWarning, match=r"GaussianNoise\(stddev=\.\.\.\)"):
        assert layers.GaussianNoise(sigma=0.5).stddev == 0.5
    with pytest.warns(DeprecationWarning, match=r"GaussianDropout\(rate=\.\.\.\)"):
        assert layers.GaussianDropout(p=0.5).rate == 0.5


# --- AlphaDropout ---------------------------------------------------------------------------------------------------

def test_alpha_dropout_values_and_self_normalizing_statistics():
    rate = 0.2
    x = RNG.standard_normal((400, 500)).astype(np.float32)
    out = npv(layers.AlphaDropout(rate, seed=3)(x, training=True))
    saturation = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
    b = -a * saturation * rate
    kept = np.isclose(out, a * x.astype(np.float64) + b, rtol=1e-5, atol=1e-5)
    dropped = np.isclose(out, a * saturation + b, rtol=1e-5, atol=1e-5)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 0.005
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1) < 0.01  # mean 0 / variance 1 kept (the point of it)


def test_alpha_dropout_noise_shape_config_and_errors():
    x = rand(6, 4, 5)
    out = npv(layers.AlphaDropout(0.5, noise_shape=(None, 1, 5), seed=2)(x, training=True))
    a = ((0.5) * (1 + 0.5 * (SELU_ALPHA * SELU_SCALE) ** 2)) ** -0.5
    dropped_value = a * -SELU_ALPHA * SELU_SCALE - a * -SELU_ALPHA * SELU_SCALE * 0.5
    dropped = np.isclose(out, dropped_value, atol=1e-5)
    assert np.all(dropped == dropped[:, :1, :])  # the mask is shared along axis 1
    layer = layers.AlphaDropout(0.3, noise_shape=[None, 1, 5], seed=1)
    config = layer.get_config()
    assert {k: config[k] for k in ("rate", "noise_shape", "seed")} == {"rate": 0.3, "noise_shape": [None, 1, 5],
                                                                      "seed": 1}
    with pytest.raises(ValueError, match="noise_shape"):
        layers.AlphaDropout(0.5, noise_shape=(None, 1))(x, training=True)
    with pytest.raises(ValueError, match="AlphaDropout: rate"):
        layers.AlphaDropout(-0.1)


# --- in a model -----------------------------------------------------------------------------------------------------

def test_noise_layers_train_inside_fit_and_stay_quiet_in_predict():
    set_random_seed(0)
    x, y = rand(32, 4), rand(32, 1)
    noise = layers.GaussianNoise(0.5)
    model = Sequential([Input((4,)), noise, layers.AlphaDropout(0.2), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    state_before = noise.seed_generator.state.numpy().copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.array_equal(noise.seed_generator.state.numpy(), state_before)  # fresh noise per step
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x.astype(np.float64) @ kernel + bias, rtol=1e-5,
                               atol=1e-5)


def test_regularization_layers_are_exported():
    from core.layers import regularization
    assert set(regularization.__all__) >= {"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                                           "GaussianDropout", "AlphaDropout", "Dropout"}
    assert all(getattr(layers, name) is getattr(regularization, name) for name in regularization.__all__)
