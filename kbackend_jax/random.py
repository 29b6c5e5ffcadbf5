"""Random ops of the JAX engine: each call derives a jax key from the seed
tensor that kbackend.seed.draw gives, so a SeedGenerator's state (a traced
value inside jax.jit) gives fresh numbers on every compiled call."""

import builtins

import jax
import jax.numpy as jnp

from kbackend import dtypes, seed as seeds

from .core import cast, convert_to_tensor, jnp_dtype


def key_from_seed(seed):
    state = cast(seeds.draw(seed), "int32")
    return jax.random.fold_in(jax.random.key(state[0]), state[1])


def keep_mask(shape, keep, seed=None):
    """Booleans of `shape`, each True with probability `keep` (dropout's mask).

    32 random bits per element from XLA's own Threefry bit generator (keyed by
    the seed's two words), True below keep * 2**32. jax.random.bernoulli
    computes Threefry through jax's lowering, which XLA on the CPU runs about
    three times slower: ~480 against ~160 us for a 128x512 mask, a fifth of
    the MLP's whole train step."""
    if keep >= 1.0:
        return jnp.ones(shape, bool)
    words = jax.lax.bitcast_convert_type(cast(seeds.draw(seed), "int32"), jnp.uint32)
    key = jnp.concatenate([words, jnp.zeros(2, jnp.uint32)])
    _, bits = jax.lax.rng_bit_generator(key, _shape(shape), dtype=jnp.uint32,
                                        algorithm=jax.lax.RandomAlgorithm.RNG_THREE_FRY)
    return bits < jnp.uint32(builtins.min(builtins.round(keep * 2 ** 32), 2 ** 32 - 1))


def _shape(shape):
    if isinstance(shape, builtins.int):
        return (shape,)
    return tuple(builtins.int(d) for d in shape)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dt = jnp_dtype(dtype)
    key = key_from_seed(seed)
    if dtypes.is_int(dt.name):
        return jax.random.randint(key, _shape(shape), minval, maxval, dtype=dt)
    return jax.random.uniform(key, _shape(shape), dt, convert_to_tensor(minval, dt), convert_to_tensor(maxval, dt))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = jnp_dtype(dtype)
    sample = jax.random.normal(key_from_seed(seed), _shape(shape), dt)
    return sample * convert_to_tensor(stddev, dt) + convert_to_tensor(mean, dt)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = jnp_dtype(dtype)
    sample = jax.random.truncated_normal(key_from_seed(seed), -2.0, 2.0, _shape(shape), dt)
    return sample * convert_to_tensor(stddev, dt) + convert_to_tensor(mean, dt)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    sample = jax.random.bernoulli(key_from_seed(seed), p, _shape(shape))
    return sample.astype(jnp_dtype(dtype))
