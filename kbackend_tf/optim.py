"""Optimizer kernels of the TensorFlow engine.

A tf.function graph runs elementwise ops one by one (Grappler does not fuse
them on the CPU), so Adam's twelve passes over a large embedding cost more than
the model; the update runs as one XLA-compiled function instead, fused into a
single loop, even when the surrounding step is not compiled with XLA. Small
variables keep the plain ops: there tracing and compiling one more XLA function
(per shape, in the first step) costs more than the passes it would save.
"""

from kbackend import generic

from .core import convert_to_tensor, tf


def _adam(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon):
    import kbackend_tf as ops
    return generic.adam_update(ops, variable, gradient, m, v, alpha, beta_1, beta_2, epsilon)


FUSED_MIN_SIZE = 1 << 17  # elements

_fused_adam = tf.function(_adam, jit_compile=True, autograph=False, reduce_retracing=True)


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon, in_place=False):
    w, g, m, v = (convert_to_tensor(a) for a in (variable, gradient, m, v))
    alpha = tf.cast(convert_to_tensor(alpha), w.dtype)
    size = w.shape.num_elements()
    if not (w.dtype.is_floating and w.dtype == g.dtype == m.dtype == v.dtype) or (size or 0) < FUSED_MIN_SIZE:
        return _adam(w, g, m, v, alpha, beta_1, beta_2, epsilon)
    return _fused_adam(w, g, m, v, alpha, float(beta_1), float(beta_2), float(epsilon))
