"""Control flow of the JAX engine on jax.lax primitives (traceable and
differentiable where lax is)."""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kbackend import generic

from .core import cast, convert_to_tensor


def _tensors(structure):
    return jax.tree.map(convert_to_tensor, structure)


def _like(new, old):
    """new as tensors with old's structure and dtypes: lax loops need the carry
    unchanged, while Python code easily turns a tuple into a list or promotes."""
    leaves = jax.tree.leaves(new)
    old_leaves, treedef = jax.tree.flatten(old)
    if len(leaves) != len(old_leaves):
        raise ValueError(f"the loop carry changed structure: {jax.tree.structure(old)} -> "
                         f"{jax.tree.structure(new)}.")
    return jax.tree.unflatten(treedef, [cast(n, o.dtype) for n, o in zip(leaves, old_leaves)])


def _scalar_bool(pred):
    return jnp.reshape(cast(pred, "bool"), ())


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    init = _tensors(init)
    xs = None if xs is None else _tensors(xs)

    def body(carry, x):
        new_carry, y = f(carry, x)
        return _like(new_carry, carry), _tensors(y)

    return lax.scan(body, init, xs, length=length, reverse=reverse, unroll=unroll)


def foreach(f, xs):
    return lax.map(lambda x: _tensors(f(x)), _tensors(xs))


def cond(pred, true_fn, false_fn):
    if isinstance(pred, (bool, np.bool_)):
        return true_fn() if pred else false_fn()
    pred = _scalar_bool(pred)
    try:
        concrete = bool(pred)
    except jax.errors.ConcretizationTypeError:  # traced: both branches are compiled
        return lax.cond(pred, lambda: _tensors(true_fn()), lambda: _tensors(false_fn()))
    return true_fn() if concrete else false_fn()


def _as_tuple(values):
    return tuple(values) if isinstance(values, (list, tuple)) else (values,)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    loop_vars = _tensors(_as_tuple(loop_vars))

    def step(values):
        return _like(_as_tuple(body(*values)), values)

    if maximum_iterations is None:
        return lax.while_loop(lambda values: _scalar_bool(cond(*values)), step, loop_vars)
    limit = convert_to_tensor(maximum_iterations, "int32")

    def bounded_cond(state):
        i, values = state
        return jnp.logical_and(i < limit, _scalar_bool(cond(*values)))

    def bounded_step(state):
        i, values = state
        return i + 1, step(values)

    _, out = lax.while_loop(bounded_cond, bounded_step, (jnp.zeros((), jnp.int32), loop_vars))
    return out


def fori_loop(lower, upper, body_fun, init_val):
    init_val = _tensors(init_val)
    # int32 bounds give an int32 index (x64 would make Python ints int64)
    lower = np.int32(lower) if isinstance(lower, int) else cast(lower, "int32")
    upper = np.int32(upper) if isinstance(upper, int) else cast(upper, "int32")
    return lax.fori_loop(lower, upper, lambda i, val: _like(body_fun(i, val), val), init_val)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    import kbackend_jax as ops
    return generic.rnn(ops, step_function, inputs, initial_states, go_backwards, mask, constants,
                       unroll, input_length, time_major, zero_output_for_mask, return_all_outputs)
