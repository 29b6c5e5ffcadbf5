"""Random ops of the TensorFlow engine: TF's stateless generators, seeded by
the int32 [seed, counter] tensor kbackend.seed.draw gives (so they also run
inside tf.function, where a SeedGenerator's state is a traced value)."""

from kbackend import config, seed as seeds

from .core import convert_to_tensor, shape_tuple, tf, tf_dtype, translate_errors


# Philox named outright: it is what "auto_select" picks on CPU outside XLA (same
# numbers), while "auto_select" under XLA on CPU runs ~30x slower
ALG = "philox"


def _dtype(dtype):
    return tf_dtype(dtype or config.floatx())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _dtype(dtype)
    return tf.random.stateless_uniform(shape_tuple(shape), seeds.draw(seed), convert_to_tensor(minval, dtype),
                                       convert_to_tensor(maxval, dtype), dtype, alg=ALG)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _dtype(dtype)
    return tf.random.stateless_normal(shape_tuple(shape), seeds.draw(seed), convert_to_tensor(mean, dtype),
                                      convert_to_tensor(stddev, dtype), dtype, alg=ALG)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _dtype(dtype)
    return tf.random.stateless_truncated_normal(shape_tuple(shape), seeds.draw(seed), convert_to_tensor(mean, dtype),
                                                convert_to_tensor(stddev, dtype), dtype, alg=ALG)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    u = tf.random.stateless_uniform(shape_tuple(shape), seeds.draw(seed), dtype=tf.float32, alg=ALG)
    return tf.cast(u < convert_to_tensor(p, tf.float32), _dtype(dtype))


translate_errors(globals(), "random")
