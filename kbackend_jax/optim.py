"""Optimizer kernels of the JAX engine: the generic formulas (XLA fuses them into one loop)."""

from kbackend import generic


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon, in_place=False):
    import kbackend_jax as ops
    return generic.adam_update(ops, variable, gradient, m, v, alpha, beta_1, beta_2, epsilon)
