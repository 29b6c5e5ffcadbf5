"""Optimizer kernels of the torch engine: eager torch runs one pass per op, so the
updates use torch's fused elementwise ops (lerp, addcmul, addcdiv) and in-place
work on their own fresh buffers: 7 passes over the weights for Adam instead of 12."""

import torch

from kbackend import generic

from .core import convert_to_tensor


def adam_update(variable, gradient, m, v, alpha, beta_1, beta_2, epsilon, in_place=False):
    w, g, m, v = (convert_to_tensor(a) for a in (variable, gradient, m, v))
    if not (w.is_floating_point() and w.dtype == g.dtype == m.dtype == v.dtype) or w.requires_grad:
        import kbackend_torch as ops
        return generic.adam_update(ops, w, g, m, v, alpha, beta_1, beta_2, epsilon)
    alpha = convert_to_tensor(alpha).to(w.dtype)
    m_new = torch.lerp(m, g, 1 - beta_1)
    v_new = torch.mul(v, beta_2).addcmul_(g, g, value=1 - beta_2)
    denom = v_new.sqrt().add_(epsilon)
    return torch.addcdiv(w, m_new * -alpha, denom), m_new, v_new
