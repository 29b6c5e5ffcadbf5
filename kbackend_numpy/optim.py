"""Optimizer kernels of the numpy engine: numpy runs one pass (and one new array)
per operation, so the updates work in place on their own fresh buffers: the
same passes as the plain formula but 4 new arrays instead of 12 (new arrays
of this size are fresh pages from the OS, which costs more than the arithmetic)."""

import numpy as np

from kbackend import generic

from .autodiff import Box
from .core import convert_to_tensor

_WIDE = (np.dtype(np.float32), np.dtype(np.float64))


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon):
    if any(isinstance(a, Box) for a in (variable, gradient, m, v, alpha)):  # being differentiated
        import kbackend_numpy as ops
        return generic.adam_update(ops, variable, gradient, m, v, alpha, beta_1, beta_2, epsilon)
    w, g, m, v = (convert_to_tensor(a) for a in (variable, gradient, m, v))
    if w.dtype not in _WIDE or not (w.dtype == g.dtype == m.dtype == v.dtype):
        import kbackend_numpy as ops
        return generic.adam_update(ops, w, g, m, v, alpha, beta_1, beta_2, epsilon)
    alpha = np.asarray(alpha, dtype=w.dtype)
    m_new = np.subtract(g, m)
    m_new *= 1 - beta_1
    m_new += m
    v_new = np.multiply(g, g)
    v_new -= v
    v_new *= 1 - beta_2
    v_new += v
    step = np.sqrt(v_new)
    step += epsilon
    np.divide(m_new, step, out=step)
    step *= alpha
    return np.subtract(w, step, out=step), m_new, v_new
