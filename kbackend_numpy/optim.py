"""Optimizer kernels of the numpy engine.

numpy runs one pass over memory per operation, and an Adam update is a dozen
of them: for a large variable every pass streams the arrays from main memory.
The update therefore runs block by block (blocks that stay in the core's
cache across all the passes): the same operations as the plain formula, so
the same numbers, at roughly half the memory traffic. The results go into
fresh arrays, or, when the caller allows it (`in_place`) and the K.jit call
running donated the state (donation.py), into the state's own buffers: no
new memory to fault in and write back every step.
"""

import numpy as np

from kbackend import generic

from . import replay
from .autodiff import detach, differentiated, raw
from .core import convert_to_tensor
from .donation import own, writable

_WIDE = (np.dtype(np.float32), np.dtype(np.float64))
_BLOCK = 32768  # elements per block: the few 128 KiB (float32) blocks of one step stay in L2 across its passes


def _adam_block(w, g, m, v, m_new, v_new, w_new, tmp, alpha, c1, c2, epsilon):
    """The Adam update of one block, written into m_new, v_new, w_new (tmp: scratch).
    The outputs may be the inputs' own buffers: each input is read before its output is written."""
    np.subtract(g, m, out=tmp)
    tmp *= c1
    np.add(m, tmp, out=m_new)
    np.multiply(g, g, out=tmp)
    tmp -= v
    tmp *= c2
    np.add(v, tmp, out=v_new)
    np.sqrt(v_new, out=tmp)
    tmp += epsilon
    np.divide(m_new, tmp, out=tmp)
    tmp *= alpha
    np.subtract(w, tmp, out=w_new)


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon, in_place=False):
    if any(differentiated(a) for a in (variable, gradient, m, v, alpha)):  # being differentiated
        import kbackend_numpy as ops
        return generic.adam_update(ops, variable, gradient, m, v, alpha, beta_1, beta_2, epsilon)
    w, g, m, v = (raw(convert_to_tensor(a)) for a in (variable, gradient, m, v))
    alpha = raw(alpha)
    if w.dtype not in _WIDE or not (w.dtype == g.dtype == m.dtype == v.dtype) or not (
            w.shape == g.shape == m.shape == v.shape) or np.ndim(alpha):
        import kbackend_numpy as ops
        return generic.adam_update(ops, w, g, m, v, alpha, beta_1, beta_2, epsilon)
    return tuple(detach(a) for a in replay.call(_adam, w, g, m, v, alpha, beta_1, beta_2, epsilon, in_place))


def _adam(w, g, m, v, alpha, beta_1, beta_2, epsilon, in_place):
    """The update on arrays: (new w, new m, new v). One kernel call of a K.jit record, so
    whether it may write in place is decided again on every call."""
    dt = w.dtype.type
    alpha, c1, c2, epsilon = np.asarray(alpha, dtype=w.dtype), dt(1 - beta_1), dt(1 - beta_2), dt(epsilon)
    outs = (m, v, w) if in_place and writable(w, m, v) else tuple(own(np.empty(w.shape, w.dtype)) for _ in range(3))
    flat = [np.ravel(a) for a in (w, g, m, v)] + [o.reshape(-1) for o in outs]  # ravel copies only strided inputs
    n = w.size
    tmp = np.empty(min(n, _BLOCK), w.dtype)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        _adam_block(*(a[start:stop] for a in flat), tmp[:stop - start], alpha, c1, c2, epsilon)
    m_new, v_new, w_new = outs
    return w_new, m_new, v_new
