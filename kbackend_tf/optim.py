"""Optimizer kernels of the TensorFlow engine: the generic formulas (the graph runs them)."""

from kbackend import generic


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon):
    import kbackend_tf as ops
    return generic.adam_update(ops, variable, gradient, m, v, alpha, beta_1, beta_2, epsilon)
