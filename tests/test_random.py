"""Random ops and dropout on the active engine: shapes, dtypes, seeding
(int seeds, SeedGenerator, also inside K.jit) and sample statistics."""

import math

import numpy as np
import pytest

import kbackend as K

N = 50_000  # statistics below allow 5 standard errors of the sample mean

OPS = {
    "random_uniform": lambda shape, seed, dtype=None: K.random_uniform(shape, minval=-1.0, maxval=3.0,
                                                                       dtype=dtype, seed=seed),
    "random_normal": lambda shape, seed, dtype=None: K.random_normal(shape, mean=1.0, stddev=2.0,
                                                                     dtype=dtype, seed=seed),
    "truncated_normal": lambda shape, seed, dtype=None: K.truncated_normal(shape, mean=-1.0, stddev=0.5,
                                                                           dtype=dtype, seed=seed),
    "random_bernoulli": lambda shape, seed, dtype=None: K.random_bernoulli(shape, p=0.3, dtype=dtype, seed=seed),
    "dropout": lambda shape, seed, dtype=None: K.dropout(K.ones(shape, dtype=dtype), 0.4, seed=seed),
}


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("dtype", [None, "float16", "float32", "float64"])
def test_shape_and_dtype(op, dtype):
    out = OPS[op]((3, 4, 2), 1, dtype)
    assert K.is_tensor(out)
    assert tuple(K.int_shape(out)) == (3, 4, 2)
    assert K.dtype(out) == (dtype or K.floatx())
    assert np.all(np.isfinite(npv(out)))


@pytest.mark.parametrize("op", sorted(OPS))
def test_int_seed_is_deterministic_and_seeds_differ(op):
    a, b, c = (npv(OPS[op]((200,), seed)) for seed in (7, 7, 8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("op", sorted(OPS))
def test_seed_generator_gives_new_values_per_call(op):
    gen = K.SeedGenerator(3)
    first, second = npv(OPS[op]((200,), gen)), npv(OPS[op]((200,), gen))
    assert not np.array_equal(first, second)
    # a generator with the same seed replays the same sequence
    again = K.SeedGenerator(3)
    np.testing.assert_array_equal(npv(OPS[op]((200,), again)), first)
    np.testing.assert_array_equal(npv(OPS[op]((200,), again)), second)


@pytest.mark.parametrize("op", sorted(OPS))
def test_seed_none_gives_new_values_per_call(op):
    assert not np.array_equal(npv(OPS[op]((200,), None)), npv(OPS[op]((200,), None)))


@pytest.mark.parametrize("op", sorted(OPS))
def test_seed_generator_inside_jit(op):
    gen = K.SeedGenerator(11)
    draw = K.jit(lambda: OPS[op]((200,), gen))
    values = [npv(draw()) for _ in range(3)]
    assert not np.array_equal(values[0], values[1])
    assert not np.array_equal(values[1], values[2])


@pytest.mark.parametrize("op", sorted(OPS))
def test_seed_state_through_a_stateless_scope_inside_jit(op):
    """The pure form: the compiled step takes the generator's state and returns the advanced one."""
    gen = K.SeedGenerator(5)

    @K.jit
    def step(state):
        with K.StatelessScope({gen.state: state}) as scope:
            out = OPS[op]((200,), gen)
        return out, scope.get(gen.state)

    state = gen.state.value
    first, state = step(state)
    second, state = step(state)
    assert not np.array_equal(npv(first), npv(second))
    np.testing.assert_array_equal(K.convert_to_numpy(state), [5, 2])
    np.testing.assert_array_equal(gen.state.numpy(), [5, 0])  # the Variable itself is untouched


def test_uniform_statistics():
    x = npv(K.random_uniform((N,), minval=-1.0, maxval=3.0, seed=21))
    assert x.min() >= -1.0 and x.max() < 3.0
    assert x.min() < -0.99 and x.max() > 2.99
    sd = 4 / math.sqrt(12)
    assert abs(x.mean() - 1.0) < 5 * sd / math.sqrt(N)
    assert abs(x.std() / sd - 1) < 0.02
    # every quarter of the interval gets about a quarter of the draws
    counts = np.histogram(x, bins=4, range=(-1, 3))[0] / N
    np.testing.assert_allclose(counts, 0.25, atol=0.01)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_statistics(dtype):
    x = npv(K.random_normal((N,), mean=1.0, stddev=2.0, dtype=dtype, seed=22))
    assert abs(x.mean() - 1.0) < 5 * 2.0 / math.sqrt(N)
    assert abs(x.std() / 2.0 - 1) < 0.02
    assert x.min() < 1.0 - 3 * 2.0 and x.max() > 1.0 + 3 * 2.0  # tails are there
    assert abs(np.mean(np.abs(x - 1.0) < 2.0) - 0.6827) < 0.01


def test_truncated_normal_statistics():
    x = npv(K.truncated_normal((N,), mean=-1.0, stddev=0.5, seed=23))
    assert x.min() >= -1.0 - 2 * 0.5 and x.max() <= -1.0 + 2 * 0.5
    assert x.min() < -1.9 and x.max() > -0.1
    # the standard normal restricted to [-2, 2] has standard deviation 0.8796
    assert abs(x.mean() + 1.0) < 5 * 0.5 / math.sqrt(N)
    assert abs(x.std() / (0.5 * 0.87962566) - 1) < 0.02


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9, 1.0])
def test_bernoulli_rate(p):
    x = npv(K.random_bernoulli((N,), p=p, seed=24))
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - p) < 5 * math.sqrt(p * (1 - p) / N) + 1e-12


def test_bernoulli_integer_dtype():
    x = K.random_bernoulli((1000,), p=0.5, dtype="int32", seed=2)
    assert K.dtype(x) == "int32"
    assert set(np.unique(npv(x))) == {0.0, 1.0}


@pytest.mark.parametrize("level", [0.1, 0.5, 0.8])
def test_dropout_keep_rate_and_scaling(level):
    x = np.random.default_rng(0).uniform(1.0, 2.0, (N // 100, 100)).astype(np.float32)
    out = npv(K.dropout(x, level, seed=25))
    kept = out != 0
    assert abs(kept.mean() - (1 - level)) < 5 * math.sqrt(level * (1 - level) / N)
    np.testing.assert_allclose(out[kept], x[kept] / (1 - level), rtol=1e-6)


def test_dropout_masks_are_fresh_per_draw_and_uncorrelated():
    x = np.ones((400, 250), np.float32)
    np.testing.assert_array_equal(npv(K.dropout(x, 0.0, seed=5)), x)  # level 0 keeps every unit
    gen = K.SeedGenerator(7)
    a, b = (npv(K.dropout(x, 0.5, seed=gen)) != 0 for _ in range(2))
    # two draws from one generator agree on about half the units, as independent masks do
    n = a.size
    assert abs((a == b).mean() - 0.5) < 5 * math.sqrt(0.25 / n)
    # neighbours along either axis are uncorrelated
    for left, right in ((a[:, :-1], a[:, 1:]), (a[:-1], a[1:])):
        r = np.corrcoef(left.ravel().astype(float), right.ravel().astype(float))[0, 1]
        assert abs(r) < 5 / math.sqrt(left.size)
    np.testing.assert_array_equal(npv(K.dropout(x, 0.5, seed=11)) != 0, npv(K.dropout(x, 0.5, seed=11)) != 0)


def test_dropout_noise_shape_broadcasts_the_mask():
    x = np.ones((50, 4, 30), np.float32)
    out = npv(K.dropout(x, 0.5, noise_shape=(50, 1, 30), seed=26))
    # the same mask for every row of axis 1
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert 0.4 < (out[:, 0] != 0).mean() < 0.6
    assert set(np.unique(out)) <= {0.0, 2.0}


def test_dropout_gradient_is_the_mask():
    x = K.convert_to_tensor(np.random.default_rng(1).uniform(1, 2, (20, 10)))
    _, g = K.value_and_grad(lambda v: K.sum(K.dropout(v, 0.5, seed=27)))(x)
    out = npv(K.dropout(x, 0.5, seed=27))
    np.testing.assert_allclose(npv(g), np.where(out != 0, 2.0, 0.0))
