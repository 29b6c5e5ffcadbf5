"""core.initializers on the active engine: sample statistics against each
documented distribution, fans, bit-identical values against numpy draws made
here from the same seed (what makes every engine agree), seeding, Orthogonal,
Identity, Constant, dtypes, configs, lookups and errors."""

import json
import math

import numpy as np
import pytest

import kbackend as K
from core import initializers
from core.initializers.random_initializers import compute_fans
from core.utils import set_random_seed

SHAPE = (200, 300)  # 60,000 draws: fan_in 200, fan_out 300, fan_avg 250
TRUNC = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


# --- numpy references: the draws each initializer documents ---------------------------------------------------------

def ref_truncated(rng, shape):
    z = rng.standard_normal(shape)
    while True:
        redraw = np.abs(z) > 2.0
        if not redraw.any():
            return z
        z[redraw] = rng.standard_normal(int(redraw.sum()))


def ref_fan(shape, mode):
    if len(shape) == 1:
        fan_in = fan_out = shape[0]
    else:
        receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def ref_variance_scaling(rng, shape, scale, mode, distribution):
    var = scale / max(1.0, ref_fan(shape, mode))
    if distribution == "truncated_normal":
        return np.sqrt(var) / TRUNC * ref_truncated(rng, shape)
    if distribution == "untruncated_normal":
        return np.sqrt(var) * rng.standard_normal(shape)
    return rng.uniform(-np.sqrt(3 * var), np.sqrt(3 * var), shape)


def ref_orthogonal(rng, shape, gain):
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return gain * (q.T if rows < cols else q).reshape(shape)


PRESETS = {  # class -> (scale, mode, distribution)
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "HeNormal": (2.0, "fan_in", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "truncated_normal"),
}

# (initializer with seed s, numpy reference from a Generator, shape)
REFERENCES = {
    "RandomNormal": (lambda s: initializers.RandomNormal(0.3, 1.5, seed=s),
                     lambda rng, shape: 0.3 + 1.5 * rng.standard_normal(shape)),
    "RandomUniform": (lambda s: initializers.RandomUniform(-2.0, 1.0, seed=s),
                      lambda rng, shape: rng.uniform(-2.0, 1.0, shape)),
    "TruncatedNormal": (lambda s: initializers.TruncatedNormal(-1.0, 0.2, seed=s),
                        lambda rng, shape: -1.0 + 0.2 * ref_truncated(rng, shape)),
    "VarianceScaling": (lambda s: initializers.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=s),
                        lambda rng, shape: ref_variance_scaling(rng, shape, 3.0, "fan_out", "untruncated_normal")),
    "Orthogonal": (lambda s: initializers.Orthogonal(gain=1.7, seed=s),
                   lambda rng, shape: ref_orthogonal(rng, shape, 1.7)),
}
for _name, (_scale, _mode, _dist) in PRESETS.items():
    REFERENCES[_name] = (lambda s, n=_name: getattr(initializers, n)(seed=s),
                         lambda rng, shape, a=(_scale, _mode, _dist): ref_variance_scaling(rng, shape, *a))


# --- statistics -----------------------------------------------------------------------------------------------------

def assert_stats(values, mean, std, low=None, high=None):
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n), (values.mean(), mean)
    assert values.std() == pytest.approx(std, rel=0.02)
    if low is not None:
        assert values.min() >= low and values.max() <= high
        # the draws fill the whole range, not a narrower one
        assert values.min() < low + 0.01 * (high - low) and values.max() > high - 0.01 * (high - low)


def test_random_normal_statistics():
    assert_stats(npv(initializers.RandomNormal(mean=0.5, stddev=2.0, seed=1)(SHAPE)), 0.5, 2.0)


def test_random_uniform_statistics():
    v = npv(initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=2)(SHAPE))
    assert_stats(v, 1.0, 4.0 / math.sqrt(12), -1.0, 3.0)


def test_truncated_normal_statistics():
    v = npv(initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=3)(SHAPE))
    # truncation at 2 stddev shrinks the standard deviation by the factor TRUNC
    assert_stats(v, 1.0, 0.5 * TRUNC, 0.0, 2.0)


def test_defaults_of_random_initializers():
    assert_stats(npv(initializers.RandomNormal(seed=4)(SHAPE)), 0.0, 0.05)
    assert_stats(npv(initializers.RandomUniform(seed=5)(SHAPE)), 0.0, 0.1 / math.sqrt(12), -0.05, 0.05)
    assert_stats(npv(initializers.TruncatedNormal(seed=6)(SHAPE)), 0.0, 0.05 * TRUNC, -0.1, 0.1)


@pytest.mark.parametrize("mode,n", [("fan_in", 200), ("fan_out", 300), ("fan_avg", 250)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform", "normal"])
def test_variance_scaling_statistics(mode, n, distribution):
    v = npv(initializers.VarianceScaling(scale=2.5, mode=mode, distribution=distribution, seed=7)(SHAPE))
    std = math.sqrt(2.5 / n)  # after truncation, where there is one
    if distribution == "uniform":
        assert_stats(v, 0.0, std, -math.sqrt(3) * std, math.sqrt(3) * std)
    elif distribution == "untruncated_normal":
        assert_stats(v, 0.0, std)
        assert np.abs(v).max() > 3.5 * std  # tails are not cut
    else:  # "normal" is the older name for truncated_normal
        assert_stats(v, 0.0, std, -2 * std / TRUNC, 2 * std / TRUNC)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_named_presets_statistics(name):
    scale, mode, distribution = PRESETS[name]
    v = npv(getattr(initializers, name)(seed=8)(SHAPE))
    std = math.sqrt(scale / {"fan_in": 200, "fan_avg": 250}[mode])
    if distribution == "uniform":
        assert_stats(v, 0.0, std, -math.sqrt(3) * std, math.sqrt(3) * std)
    else:
        assert_stats(v, 0.0, std, -2 * std / TRUNC, 2 * std / TRUNC)


# --- fans -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,fans", [
    ((7,), (7, 7)),                      # bias
    ((), (1, 1)),                        # scalar
    ((3, 4), (3, 4)),                    # dense kernel (in, out)
    ((5, 2, 6), (10, 30)),               # conv1d kernel (width, in, out)
    ((3, 3, 16, 32), (144, 288)),        # conv2d kernel
    ((2, 3, 4, 5, 6), (120, 144)),       # conv3d kernel
])
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


@pytest.mark.parametrize("mode,fan", [("fan_in", 5 * 5 * 48), ("fan_out", 5 * 5 * 64), ("fan_avg", 5 * 5 * 56)])
def test_conv_kernel_fans_set_the_scale(mode, fan):
    v = npv(initializers.VarianceScaling(scale=2.0, mode=mode, distribution="uniform", seed=9)((5, 5, 48, 64)))
    assert_stats(v, 0.0, math.sqrt(2.0 / fan), -math.sqrt(6.0 / fan), math.sqrt(6.0 / fan))


# --- identical values on every engine -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize("shape", [(6, 4), (3, 5), (2, 3, 4, 5)])
def test_values_equal_numpy_draws_from_the_seed(name, shape):
    make, ref = REFERENCES[name]
    expected = ref(np.random.default_rng(42), shape)
    got = K.convert_to_numpy(make(42)(shape))
    assert K.dtype(make(42)(shape)) == "float32"
    np.testing.assert_array_equal(got, expected.astype(np.float32))


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_other_float_dtypes_equal_numpy_casts(dtype):
    make, ref = REFERENCES["GlorotNormal"]
    got = make(3)((10, 12), dtype=dtype)
    assert K.dtype(got) == dtype
    np.testing.assert_array_equal(K.convert_to_numpy(got), ref(np.random.default_rng(3), (10, 12)).astype(dtype))


# --- seeding --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_seeded_initializer_repeats_and_seeds_differ(name):
    make, _ = REFERENCES[name]
    init = make(11)
    first, second = npv(init((8, 9))), npv(init((8, 9)))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, npv(make(12)((8, 9))))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_unseeded_differs_per_call_and_replays_after_set_random_seed(name):
    make, ref = REFERENCES[name]
    init = make(None)
    set_random_seed(123)
    first, second = npv(init((8, 9))), npv(init((8, 9)))
    assert not np.array_equal(first, second)
    set_random_seed(123)
    np.testing.assert_array_equal(npv(init((8, 9))), first)
    np.testing.assert_array_equal(npv(init((8, 9))), second)
    # set_random_seed(s) restarts the host generator as numpy's default_rng(s)
    rng = np.random.default_rng(123)
    np.testing.assert_array_equal(first, ref(rng, (8, 9)).astype(np.float32))
    np.testing.assert_array_equal(second, ref(rng, (8, 9)).astype(np.float32))


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be None or a non-negative int"):
        initializers.RandomNormal(seed=seed)


# --- Orthogonal, Identity, Constant, Zeros, Ones --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 6), (9, 4), (4, 9), (3, 3, 2, 5)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_is_orthogonal(shape, gain):
    w = npv(initializers.Orthogonal(gain=gain, seed=5)(shape)).reshape(-1, shape[-1])
    assert w.shape[0] * w.shape[1] == int(np.prod(shape))
    # orthonormal columns when tall, orthonormal rows when wide
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(w.shape)), atol=1e-5)


def test_orthogonal_needs_rank_2():
    with pytest.raises(ValueError, match="rank 2 or more"):
        initializers.Orthogonal()((5,))


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 2)])
def test_identity(shape):
    np.testing.assert_array_equal(npv(initializers.Identity(gain=2.5)(shape)), 2.5 * np.eye(*shape))
    np.testing.assert_array_equal(npv(initializers.Identity()(shape)), np.eye(*shape))


def test_identity_needs_2d():
    with pytest.raises(ValueError, match="only makes 2-D matrices"):
        initializers.Identity()((3, 3, 3))


def test_zeros_ones_constant():
    np.testing.assert_array_equal(npv(initializers.Zeros()((2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(npv(initializers.Ones()((4,))), np.ones(4))
    np.testing.assert_array_equal(npv(initializers.Constant(0.25)((2, 2))), np.full((2, 2), 0.25))
    np.testing.assert_array_equal(npv(initializers.Constant()((3,))), np.zeros(3))
    row = [1.0, -2.0, 3.0]
    np.testing.assert_array_equal(npv(initializers.Constant(row)((2, 3))), np.array([row, row]))
    np.testing.assert_array_equal(npv(initializers.Constant(np.array(row))((2, 3))), np.array([row, row]))


def test_constant_shape_mismatch():
    with pytest.raises(ValueError, match=r"cannot fill a tensor of shape \(2, 4\)"):
        initializers.Constant([1.0, 2.0, 3.0])((2, 4))


# --- dtypes and shapes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
                                  "TruncatedNormal", "VarianceScaling", "GlorotUniform", "Orthogonal"])
@pytest.mark.parametrize("dtype", [None, "float16", "float32", "float64"])
def test_dtype_argument(name, dtype):
    out = getattr(initializers, name)()((3, 4), dtype=dtype)
    assert K.is_tensor(out)
    assert tuple(K.int_shape(out)) == (3, 4)
    assert K.dtype(out) == (dtype or K.floatx())


def test_default_dtype_follows_floatx():
    old = K.floatx()
    K.set_floatx("float64")
    try:
        assert K.dtype(initializers.GlorotUniform(seed=1)((3, 3))) == "float64"
        assert K.dtype(initializers.Zeros()((3,))) == "float64"
    finally:
        K.set_floatx(old)


def test_integer_dtypes_for_constant_initializers():
    out = initializers.Constant(7)((2, 2), dtype="int32")
    assert K.dtype(out) == "int32"
    np.testing.assert_array_equal(K.convert_to_numpy(out), np.full((2, 2), 7))
    assert K.dtype(initializers.Zeros()((2,), dtype="int64")) == "int64"
    assert K.dtype(initializers.Identity()((2, 2), dtype="int32")) == "int32"


def test_random_initializers_reject_integer_dtypes():
    with pytest.raises(ValueError, match="draws floating-point values; got dtype='int32'"):
        initializers.HeNormal(seed=1)((3, 3), dtype="int32")


def test_shape_errors():
    with pytest.raises(ValueError, match="fully known shape"):
        initializers.Zeros()((None, 3))
    with pytest.raises(TypeError, match="needs a shape"):
        initializers.RandomNormal()(3.5)


def test_int_and_list_shapes():
    assert tuple(K.int_shape(initializers.Ones()(5))) == (5,)
    assert tuple(K.int_shape(initializers.GlorotUniform()([2, 3]))) == (2, 3)


# --- configs, lookups, errors ---------------------------------------------------------------------------------------

CONFIGURED = [
    initializers.Zeros(), initializers.Ones(), initializers.Constant(0.7), initializers.Constant([1.0, 2.0]),
    initializers.Identity(gain=3.0), initializers.RandomNormal(1.0, 2.0, seed=3),
    initializers.RandomUniform(-1.0, 1.0, seed=4), initializers.TruncatedNormal(0.1, 0.3, seed=None),
    initializers.VarianceScaling(0.5, "fan_avg", "uniform", seed=5), initializers.GlorotUniform(seed=6),
    initializers.GlorotNormal(), initializers.HeUniform(seed=7), initializers.HeNormal(),
    initializers.LecunUniform(seed=8), initializers.LecunNormal(), initializers.Orthogonal(gain=2.0, seed=9),
]


@pytest.mark.parametrize("init", CONFIGURED, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    config = init.get_config()
    rebuilt = type(init).from_config(json.loads(json.dumps(config)))
    assert type(rebuilt) is type(init) and rebuilt.get_config() == config
    blob = json.loads(json.dumps(initializers.serialize(init)))
    assert blob["class_name"] == type(init).__name__
    again = initializers.deserialize(blob)
    assert type(again) is type(init) and again.get_config() == config
    assert initializers.get(blob).get_config() == config
    shape = (2, 2) if isinstance(init, (initializers.Identity, initializers.Constant)) else (3, 2)
    if getattr(init, "seed", None) is not None or not hasattr(init, "seed"):
        np.testing.assert_array_equal(npv(again(shape)), npv(init(shape)))


def test_configs_hold_the_arguments():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.RandomUniform(seed=1).get_config() == {"minval": -0.05, "maxval": 0.05, "seed": 1}
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None, "input_axes": None,
        "output_axes": None}
    assert initializers.HeNormal(seed=2).get_config() == {"seed": 2, "input_axes": None, "output_axes": None}
    assert initializers.Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert initializers.Identity().get_config() == {"gain": 1.0}
    assert initializers.Constant().get_config() == {"value": 0.0}
    assert initializers.Zeros().get_config() == {}


def test_keras2_style_config():
    init = initializers.deserialize({"class_name": "VarianceScaling",
                                     "config": {"scale": 2.0, "mode": "fan_out", "distribution": "normal",
                                                "seed": 3}})
    assert (init.scale, init.mode, init.distribution, init.seed) == (2.0, "fan_out", "truncated_normal", 3)


ALIASES = {
    "zeros": "Zeros", "zero": "Zeros", "ones": "Ones", "one": "Ones", "constant": "Constant",
    "identity": "Identity", "random_normal": "RandomNormal", "normal": "RandomNormal",
    "random_uniform": "RandomUniform", "uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling", "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform", "he_normal": "HeNormal", "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal", "orthogonal": "Orthogonal",
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_string_lookup_and_module_aliases(alias):
    cls = getattr(initializers, ALIASES[alias])
    assert type(initializers.get(alias)) is cls
    assert type(initializers.get(ALIASES[alias])) is cls
    assert getattr(initializers, alias) is cls


def test_get_passes_through_and_instantiates():
    assert initializers.get(None) is None
    init = initializers.HeUniform(seed=1)
    assert initializers.get(init) is init

    def my_init(shape, dtype=None):
        return K.ones(shape, dtype=dtype)

    assert initializers.get(my_init) is my_init
    assert type(initializers.get(initializers.Orthogonal)) is initializers.Orthogonal


def test_unknown_names_and_bad_identifiers():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_uniformm'"):
        initializers.get("glorot_uniformm")
    with pytest.raises(ValueError, match="Unknown initializer: 'Nope'"):
        initializers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret initializer identifier"):
        initializers.get(3)


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": 0.0}, "scale must be a positive float"),
    ({"scale": -1.0}, "scale must be a positive float"),
    ({"mode": "fan_mean"}, "mode must be one of"),
    ({"distribution": "gamma"}, "distribution must be one of"),
])
def test_variance_scaling_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        initializers.VarianceScaling(**kwargs)


def test_base_class():
    with pytest.raises(NotImplementedError, match="must implement __call__"):
        initializers.Initializer()((2,))
    clone = initializers.RandomNormal(1.0, 2.0, seed=3).clone()
    assert clone.get_config() == {"mean": 1.0, "stddev": 2.0, "seed": 3}


def test_variance_scaling_fans_from_named_axes():
    # Keras 3.15: with input_axes and output_axes the fans are those axes' sizes alone (here 4*5 and 6),
    # with only one of them the usual convolution-kernel fans (20 and 24)
    shape = (4, 5, 6)
    both = initializers.VarianceScaling(mode="fan_out", distribution="uniform", input_axes=[0, 1], output_axes=[2])
    one = initializers.VarianceScaling(mode="fan_out", distribution="uniform", input_axes=[0])
    for init, fan in ((both, 6), (one, 24)):
        values = np.asarray(K.convert_to_numpy(init(shape)))
        limit = np.sqrt(3.0 / fan)
        assert np.abs(values).max() <= limit and np.abs(values).max() > 0.9 * limit
    restored = initializers.deserialize(initializers.serialize(both))
    assert (restored.input_axes, restored.output_axes) == ([0, 1], [2])
    config = {"seed": None, "input_axes": None, "output_axes": None}
    assert initializers.GlorotUniform.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="input_axes must be None or a non-empty list"):
        initializers.VarianceScaling(input_axes=[])
