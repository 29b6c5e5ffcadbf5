"""Gradients with torch.autograd.

The values to differentiate become fresh leaf tensors with requires_grad;
the function runs on them (Variables read them through a StatelessScope) and
torch.autograd.grad differentiates. Results are detached, so nothing keeps
the graph alive.
"""

import functools

import numpy as np
import torch

from kbackend import generic, scope, tree

from .core import convert_to_tensor


def _leaf(value):
    leaf = convert_to_tensor(value).detach()
    if leaf.dtype.is_floating_point or leaf.dtype.is_complex:
        leaf.requires_grad_(True)  # integer values (e.g. seed states) get zero gradients
    return leaf


def _grads(loss, leaves):
    """d loss / d leaf for each leaf; zeros where the loss does not depend on it."""
    loss = convert_to_tensor(loss)
    if loss.numel() != 1:
        raise ValueError(f"Gradients need a scalar loss; got shape {tuple(loss.shape)}.")
    wanted = [leaf for leaf in leaves if leaf.requires_grad]
    found = []
    if wanted and loss.requires_grad:
        found = torch.autograd.grad(loss.reshape(()), wanted, allow_unused=True)
    by_leaf = {id(leaf): g for leaf, g in zip(wanted, found)}
    out = []
    for leaf in leaves:
        g = by_leaf.get(id(leaf))
        out.append(torch.zeros_like(leaf).detach() if g is None else g.detach())
    return out


def _detach(structure):
    if structure is None:
        return None
    return tree.map_structure(lambda v: v.detach() if isinstance(v, torch.Tensor) else v, structure)


def gradients(loss_fn, variables):
    variables = generic.gradients_variables(loss_fn, variables)
    leaves = [_leaf(v.value) for v in variables]
    with torch.enable_grad(), scope.StatelessScope(dict(zip(variables, leaves))):
        loss = loss_fn()
        return _grads(loss, leaves)


def value_and_grad(fn, has_aux=False):
    def wrapped(params, *args, **kwargs):
        flat, treedef = tree.flatten(params)
        leaves = [_leaf(v) for v in flat]
        with torch.enable_grad():
            result = fn(tree.unflatten(treedef, leaves), *args, **kwargs)
            value, aux = result if has_aux else (result, None)
            grads = _grads(value, leaves)
        value = convert_to_tensor(value).detach()
        out = (value, _detach(aux)) if has_aux else value
        return out, tree.unflatten(treedef, grads)
    return wrapped


def stop_gradient(x):
    if isinstance(x, (list, tuple)):
        return type(x)(stop_gradient(v) for v in x)
    return convert_to_tensor(x).detach()


def eval_shape(fn, *args):
    # eager ops are cheap here: run fn itself
    return fn(*args)


def jit(fn, donate_argnums=()):
    """fn, run with float32 denormals flushed to zero (as XLA does for jax and
    TensorFlow): Adam's second moments of dead units decay into denormals,
    which the CPU handles dozens of times slower. No torch.compile: it needs a
    C++ toolchain and seconds of warm-up on the CPU, more than it saves here."""
    @functools.wraps(fn)
    def flushed(*args, **kwargs):
        args, kwargs = _host_arrays_to_tensors((args, kwargs))
        torch.set_flush_denormal(True)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_flush_denormal(False)
    return flushed


def _host_arrays_to_tensors(structure):
    """structure with its numpy arrays as tensors (K.jit takes host arrays for tensors)."""
    if not any(isinstance(leaf, np.ndarray) for leaf in tree.flatten(structure)[0]):
        return structure
    return tree.map_structure(lambda a: convert_to_tensor(a) if isinstance(a, np.ndarray) else a, structure)
