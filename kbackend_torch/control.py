"""Control flow of the PyTorch engine: plain Python loops and ifs (torch runs
eagerly, and autograd records through them)."""

import torch

from kbackend import generic, tree

from .core import DEVICE, convert_to_tensor


def _ops():
    import kbackend_torch
    return kbackend_torch


def _stack(ys):
    """A list of equally nested structures -> one structure of stacked leaves."""
    flat = [tree.flatten(y)[0] for y in ys]
    treedef = tree.flatten(ys[0])[1]
    return tree.unflatten(treedef, [torch.stack([convert_to_tensor(v) for v in leaves])
                                    for leaves in zip(*flat)])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    leaves, treedef = tree.flatten(xs)
    # None leaves stay None at every step (jax treats None as an empty subtree)
    leaves = [None if v is None else convert_to_tensor(v) for v in leaves]
    arrays = [v for v in leaves if v is not None]
    lengths = {int(v.shape[0]) if v.dim() else -1 for v in arrays}
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1 or -1 in lengths:
        raise ValueError(f"scan: xs leaves must share one leading length (and match length={length}); "
                         f"got leading lengths {sorted(lengths)}.")
    n = lengths.pop()

    def x_at(i):
        return tree.unflatten(treedef, [None if v is None else v[i] for v in leaves])

    if n == 0:  # no step runs: call f once on zeros only to learn the shape of ys
        probe = tree.unflatten(treedef, [None if v is None else v.new_zeros(v.shape[1:]) for v in leaves])
        _, y = f(init, probe)
        return init, None if y is None else tree.map_structure(_empty_stack, y)
    carry, ys = init, [None] * n
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        carry, ys[i] = f(carry, x_at(i))
    return carry, (None if ys[0] is None else _stack(ys))


def _empty_stack(y):
    y = convert_to_tensor(y)
    return y.new_zeros((0,) + tuple(y.shape))


def foreach(f, xs):
    return scan(lambda carry, x: (carry, f(x)), None, xs)[1]


def cond(pred, true_fn, false_fn):
    pred = convert_to_tensor(pred)
    if pred.numel() != 1:
        raise ValueError(f"cond: pred must be a scalar; got shape {tuple(pred.shape)}.")
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    loop_vars = tuple(loop_vars) if isinstance(loop_vars, (list, tuple)) else (loop_vars,)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*loop_vars)):
        out = body(*loop_vars)
        loop_vars = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        steps += 1
    return loop_vars


def fori_loop(lower, upper, body_fun, init_val):
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(torch.tensor(i, dtype=torch.int32, device=DEVICE), val)
    return val


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    return generic.rnn(_ops(), step_function, inputs, initial_states, go_backwards, mask, constants,
                       unroll, input_length, time_major, zero_output_for_mask, return_all_outputs)
