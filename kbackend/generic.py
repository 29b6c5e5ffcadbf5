"""Keras-semantics ops written once over any engine's primitives.

Each function takes `ops`, the engine module, first; an engine's op is then a
one-line call, e.g. `def rnn(...): return generic.rnn(_ops(), ...)`.
"""

from . import tree


def gradients_variables(loss_fn, variables):
    """The checked arguments of `gradients`: the Variables, as a list."""
    from .variable import Variable
    if not callable(loss_fn):
        raise TypeError("gradients(loss_fn, variables) needs a function returning the loss, "
                        f"not a {type(loss_fn).__name__}: write K.gradients(lambda: loss(...), variables).")
    variables = list(variables)
    for v in variables:
        if not isinstance(v, Variable):
            raise TypeError(f"gradients: variables must be kbackend Variables; got {type(v).__name__}.")
    return variables


def _normalize_axis(axis, ndim):
    return axis + ndim if axis < 0 else axis


def dot(ops, x, y):
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    xn, yn = ops.ndim(x), ops.ndim(y)
    if xn <= 2 and yn <= 2:
        if xn == 0 or yn == 0:
            return ops.multiply(x, y)
        return ops.matmul(x, y)
    xs, ys = ops.shape(x), ops.shape(y)
    if yn == 1:
        return ops.sum(ops.multiply(x, y), axis=-1)
    n = xs[-1]
    if isinstance(n, int) and isinstance(ys[-2], int) and ys[-2] != n:
        raise ValueError(f"dot: the last axis of x ({n}) must match the second-to-last axis of y ({ys[-2]}); "
                         f"shapes {tuple(xs)} and {tuple(ys)}.")
    # y (..., n, m) -> (n, prod(...) * m); x (..., n) -> (prod(...), n)
    perm = [yn - 2] + list(range(yn - 2)) + [yn - 1]
    y2 = ops.reshape(ops.transpose(y, perm), (n, -1))
    x2 = ops.reshape(x, (-1, n))
    out = ops.matmul(x2, y2)
    return ops.reshape(out, tuple(xs[:-1]) + tuple(ys[:-2]) + (ys[-1],))


def batch_dot(ops, x, y, axes=None):
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    xn, yn = ops.ndim(x), ops.ndim(y)
    if xn < 2 or yn < 2:
        raise ValueError(f"batch_dot needs tensors of rank >= 2; got ranks {xn} and {yn}.")
    if axes is None:
        axes = (xn - 1, yn - 1 if yn == 2 else yn - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = _normalize_axis(axes[0], xn), _normalize_axis(axes[1], yn)
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot cannot contract the batch axis 0; got axes {tuple(axes)}.")
    xs, ys = ops.shape(x), ops.shape(y)
    if isinstance(xs[ax], int) and isinstance(ys[ay], int) and xs[ax] != ys[ay]:
        raise ValueError(f"batch_dot: axis {ax} of x has size {xs[ax]} but axis {ay} of y has size {ys[ay]} "
                         f"(shapes {tuple(xs)} and {tuple(ys)}).")
    x_rest = [d for i, d in enumerate(xs) if i not in (0, ax)]
    y_rest = [d for i, d in enumerate(ys) if i not in (0, ay)]
    xt = ops.transpose(x, [0] + [i for i in range(1, xn) if i != ax] + [ax])
    yt = ops.transpose(y, [0, ay] + [i for i in range(1, yn) if i != ay])
    n = xs[ax]
    out = ops.matmul(ops.reshape(xt, (-1, _prod(x_rest), n)), ops.reshape(yt, (-1, n, _prod(y_rest))))
    out = ops.reshape(out, (-1,) + tuple(x_rest) + tuple(y_rest))
    if xn == 2 and yn == 2:
        out = ops.reshape(out, (-1, 1))
    return out


def _prod(dims):
    p = 1
    for d in dims:
        p = p * d
    return p


def switch(ops, condition, then_expression, else_expression):
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    condition = ops.convert_to_tensor(condition)
    then_value = ops.convert_to_tensor(then_value)
    else_value = ops.convert_to_tensor(else_value)
    cn, en = ops.ndim(condition), max(ops.ndim(then_value), ops.ndim(else_value))
    if cn > en:
        raise ValueError(f"switch: the condition (rank {cn}) cannot have a higher rank than the expressions "
                         f"(rank {en}).")
    if cn > 0:  # Keras 2 aligns the condition with the leading axes
        condition = ops.reshape(condition, tuple(ops.shape(condition)) + (1,) * (en - cn))
    return ops.where(ops.cast(condition, "bool"), then_value, else_value)


def rnn(ops, step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    constants = list(constants or [])
    states = list(initial_states)
    flat_inputs, inputs_def = tree.flatten(inputs)
    if not time_major:
        flat_inputs = [_swap01(ops, t) for t in flat_inputs]
    if mask is not None:
        mask = ops.cast(mask, "bool")
        if ops.ndim(mask) == 2 and not time_major:
            mask = ops.transpose(mask, (1, 0))
        elif ops.ndim(mask) > 2:
            raise ValueError(f"rnn: mask must be (batch, time); got rank {ops.ndim(mask)}.")
    if go_backwards:
        flat_inputs = [_reverse0(ops, t) for t in flat_inputs]
        if mask is not None:
            mask = _reverse0(ops, mask)

    def inputs_at(xs):
        return tree.unflatten(inputs_def, xs)

    def expand_like(m, value):
        return ops.reshape(m, tuple(ops.shape(m)) + (1,) * (ops.ndim(value) - 1))

    def step(carry, x):
        prev_states, prev_output = carry
        xs, m = x
        output, new_states = step_function(inputs_at(xs), list(prev_states) + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if m is None:
            return (new_states, output), output
        kept = ops.where(expand_like(m, output), output, prev_output)
        new_states = [ops.where(expand_like(m, n), n, p) for n, p in zip(new_states, prev_states)]
        emitted = ops.where(expand_like(m, output), output, ops.zeros_like(output)) if zero_output_for_mask else kept
        return (new_states, kept), emitted

    first = [t[0] for t in flat_inputs]
    if mask is not None:
        # the output's shape is only known after one call; masked steps repeat it
        probe, _ = step_function(inputs_at(first), states + constants)
        prev_output = ops.zeros_like(probe)
    else:
        prev_output = None
    xs = (flat_inputs, mask)
    if unroll:
        steps = int(ops.int_shape(flat_inputs[0])[0])
        carry, ys = (states, prev_output), []
        for t in range(steps):
            carry, y = step(carry, ([f[t] for f in flat_inputs], None if mask is None else mask[t]))
            ys.append(y)
        outputs = ops.stack(ys, axis=0)
    else:
        if mask is None:
            def scan_step(carry, x):
                (new_states, out), y = step((carry, None), (x[0], None))
                return new_states, y
            final_states, outputs = ops.scan(scan_step, states, (flat_inputs,))
            carry = (final_states, None)
        else:
            carry, outputs = ops.scan(step, (states, prev_output), xs)
    new_states, last_kept = carry
    last_output = last_kept if mask is not None else outputs[-1]
    if return_all_outputs:
        outputs = outputs if time_major else _swap01(ops, outputs)
    else:
        outputs = ops.expand_dims(last_output, 0 if time_major else 1)
    return last_output, outputs, list(new_states)


def _swap01(ops, t):
    n = ops.ndim(t)
    return ops.transpose(t, (1, 0) + tuple(range(2, n)))


def _reverse0(ops, t):
    n = ops.shape(t)[0]  # a scalar tensor when the length is only known at run time
    return ops.gather(t, ops.arange(n - 1, -1, -1))


def adam_update(ops, variable, gradient, m, v, alpha, beta_1, beta_2, epsilon):
    """Adam's update written with ops (compiled engines fuse it themselves)."""
    m = ops.add(m, ops.multiply(ops.subtract(gradient, m), 1 - beta_1))
    v = ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - beta_2))
    step = ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), epsilon))
    return ops.subtract(variable, step), m, v
