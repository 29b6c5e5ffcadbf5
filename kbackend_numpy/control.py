"""Control flow of the numpy engine: plain Python loops and branches, which the
tape differentiates like any other code."""

import functools

import numpy as np

from kbackend import generic, tree

from . import core, math, replay
from .autodiff import Box, Node, detach, raw


class _SliceGrads:
    """The gradients of some slices x[i] of one tensor, kept apart until the
    tape is done with them. The tape sums gradients with `+`; adding full-size
    zero arrays for every step would make a scan over n steps cost n times
    the size of xs."""
    __slots__ = ("parts", "__weakref__")

    def __init__(self, parts):
        self.parts = parts

    def __add__(self, other):
        for i, g in other.parts.items():
            self.parts[i] = g if i not in self.parts else self.parts[i] + g
        return self


def _unstack(x):
    """[x[0], x[1], ...]; for a traced x, one node gathers all slices' gradients."""
    if not isinstance(x, Box):
        return list(x)
    rows, gather, row_backwards = replay.call(_rows, x.value)
    if x.node is None:  # a K.jit call being recorded, and no gradient through x
        return [detach(r) for r in rows]
    whole = Node([x.node], gather)
    return [Box(r, Node([whole], b)) for r, b in zip(rows, row_backwards)]


def _rows(value):
    """(value's rows, the backward that assembles their gradients, each row's backward): one
    kernel call of a K.jit record, so a replayed step slices and differentiates its own input."""
    def gather(g):
        full = np.zeros_like(value)
        for i, gi in g.parts.items():
            full[i] = gi
        return (full,)
    return tuple(value), gather, tuple(functools.partial(_row_gradient, i) for i in range(len(value)))


def _row_gradient(i, g):
    return (_SliceGrads({i: g}),)


def _stack_tree(ys):
    """Stack a list of equally structured outputs leaf by leaf (None stays None)."""
    leaves = [tree.flatten(y) for y in ys]
    treedef = leaves[0][1]
    columns = zip(*(lv for lv, _ in leaves))
    return tree.unflatten(treedef, [None if col[0] is None else math.stack(list(col)) for col in columns])


def _empty_like_tree(y):
    return tree.map_structure(
        lambda leaf: None if leaf is None else core.zeros((0,) + raw(core.convert_to_tensor(leaf)).shape,
                                                          core.dtype(leaf)), y)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    if xs is None:
        if length is None:
            raise ValueError("scan needs xs or length.")
        n, leaves, xdef = int(length), [], None
    else:
        leaves, xdef = tree.flatten(xs)
        leaves = [core.convert_to_tensor(leaf) for leaf in leaves]
        sizes = {raw(leaf).shape[0] if raw(leaf).ndim else None for leaf in leaves}
        if length is not None:
            sizes.add(int(length))
        if len(sizes) != 1 or None in sizes:
            raise ValueError(f"scan: every leaf of xs (and length) needs the same leading size; got {sizes}.")
        n = sizes.pop()
    columns = [_unstack(leaf) for leaf in leaves]

    def x_at(i):
        return None if xs is None else tree.unflatten(xdef, [c[i] for c in columns])

    if n == 0:  # one call on zeros tells the structure and shapes of y
        probe = None if xs is None else tree.unflatten(
            xdef, [np.zeros(raw(leaf).shape[1:], raw(leaf).dtype) for leaf in leaves])
        return init, _empty_like_tree(f(init, probe)[1])
    carry, ys = init, []
    for i in (reversed(range(n)) if reverse else range(n)):
        carry, y = f(carry, x_at(i))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, _stack_tree(ys)


def foreach(f, xs):
    return scan(lambda carry, x: (carry, f(x)), (), xs)[1]


def cond(pred, true_fn, false_fn):
    if not isinstance(pred, (bool, np.bool_)):
        replay.opaque("cond on a tensor")  # the branch taken is decided on the host
    pred = raw(core.convert_to_tensor(pred))
    if pred.size != 1:
        raise ValueError(f"cond needs a scalar predicate; got shape {pred.shape}.")
    return true_fn() if bool(pred) else false_fn()


def _as_tuple(values):
    return tuple(values) if isinstance(values, (list, tuple)) else (values,)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    loop_vars = _as_tuple(loop_vars)
    replay.opaque("while_loop")  # the number of steps is decided on the host
    step = 0
    while (maximum_iterations is None or step < maximum_iterations) and bool(raw(cond(*loop_vars))):
        loop_vars = _as_tuple(body(*loop_vars))
        step += 1
    return loop_vars


def fori_loop(lower, upper, body_fun, init_val):
    if not all(isinstance(b, (int, np.integer)) for b in (lower, upper)):
        replay.opaque("fori_loop with tensor bounds")
    val = init_val
    for i in range(int(raw(lower)), int(raw(upper))):
        val = body_fun(i, val)
    return val


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    import kbackend_numpy as ops
    return generic.rnn(ops, step_function, inputs, initial_states, go_backwards, mask, constants,
                       unroll, input_length, time_major, zero_output_for_mask, return_all_outputs)
