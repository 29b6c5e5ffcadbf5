"""Control flow of the TensorFlow engine: tf.while_loop, tf.cond and
TensorArrays, so that loops compile inside tf.function."""

from kbackend import generic, tree

from .core import convert_to_tensor, dtype_name, shape, tf


def _length(x_leaves, length):
    """The number of steps: `length`, or the leading size of the xs."""
    present = [t for t in x_leaves if t is not None]
    static = {t.shape[0] for t in present} - {None}
    if len(static) > 1:
        raise ValueError(f"scan: the leaves of xs have different lengths {sorted(static)}.")
    if length is not None:
        if static and length not in static:
            raise ValueError(f"scan: length={length} does not match the length {static.pop()} of xs.")
        return length
    if not present:
        raise ValueError("scan needs xs or a length.")
    return shape(present[0])[0]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    # unroll is only a speed hint; tf.while_loop pipelines the steps on its own
    x_leaves, x_def = tree.flatten(xs)
    x_leaves = [None if t is None else convert_to_tensor(t) for t in x_leaves]
    n = _length(x_leaves, length)
    carry_leaves, carry_def = tree.flatten(init)
    carry_leaves = [convert_to_tensor(c) for c in carry_leaves]

    def step(i, carry):
        x = tree.unflatten(x_def, [None if t is None else t[i] for t in x_leaves])
        new_carry, y = f(tree.unflatten(carry_def, carry), x)
        new_leaves, new_def = tree.flatten(new_carry)
        if new_def != carry_def:
            raise TypeError("scan: f must return a carry with the structure of init.")
        new_leaves = [convert_to_tensor(c) for c in new_leaves]
        for old, new in zip(carry, new_leaves):
            if old.dtype != new.dtype:
                raise TypeError(f"scan: f changed a carry's dtype from {dtype_name(old.dtype)} "
                                f"to {dtype_name(new.dtype)}.")
        y_leaves, y_def = tree.flatten(y)
        return new_leaves, [None if v is None else convert_to_tensor(v) for v in y_leaves], y_def

    if isinstance(n, int) and n == 0:
        # no steps: f runs once on zeros only to give the ys their structure and shapes
        x_leaves = [None if t is None else tf.zeros((1,) + tuple(t.shape[1:]), t.dtype) for t in x_leaves]
        _, y0, y_def = step(0, carry_leaves)
        empty = [None if v is None else tf.zeros((0,) + tuple(v.shape), v.dtype) for v in y0]
        return tree.unflatten(carry_def, carry_leaves), tree.unflatten(y_def, empty)
    # The first step runs outside the loop: it shows the structure, dtypes and
    # shapes of y, which the TensorArrays collecting the ys need up front.
    first = n - 1 if reverse else 0
    carry, y0, y_def = step(first, carry_leaves)
    arrays = [tf.TensorArray(v.dtype, size=n, element_shape=v.shape).write(first, v)
              for v in y0 if v is not None]

    def body(k, carry, arrays):
        i = n - 1 - k if reverse else k
        carry, ys, _ = step(i, carry)
        return k + 1, carry, [a.write(i, v) for a, v in zip(arrays, [v for v in ys if v is not None])]

    # the carry may have had looser static shapes than one step's result
    invariants = [c.shape.most_specific_compatible_shape(i.shape) for c, i in zip(carry, carry_leaves)]
    _, carry, arrays = tf.while_loop(
        lambda k, *_: k < n, body, (tf.constant(1), carry, arrays),
        shape_invariants=(tf.TensorShape([]), invariants, [tf.TensorShape(None)] * len(arrays)),
        maximum_iterations=n)
    stacked = iter([a.stack() for a in arrays])
    ys = [None if v is None else next(stacked) for v in y0]
    return tree.unflatten(carry_def, carry), tree.unflatten(y_def, ys)


def foreach(f, xs):
    return scan(lambda carry, x: (carry, f(x)), (), xs)[1]


def cond(pred, true_fn, false_fn):
    if not tf.is_tensor(pred):
        return true_fn() if pred else false_fn()
    return tf.cond(tf.cast(pred, tf.bool), true_fn, false_fn)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    is_sequence = isinstance(loop_vars, (tuple, list))
    loop_vars = tuple(loop_vars) if is_sequence else (loop_vars,)

    def step(*values):
        out = body(*values)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    out = tf.while_loop(cond, step, loop_vars, maximum_iterations=maximum_iterations)
    return tuple(out) if is_sequence else out[0]


def fori_loop(lower, upper, body_fun, init_val):
    _, out = tf.while_loop(lambda i, _: i < upper, lambda i, val: (i + 1, body_fun(i, val)),
                           (convert_to_tensor(lower), init_val))
    return out


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    import kbackend_tf as ops
    return generic.rnn(ops, step_function, inputs, initial_states, go_backwards=go_backwards, mask=mask,
                       constants=constants, unroll=unroll, input_length=input_length, time_major=time_major,
                       zero_output_for_mask=zero_output_for_mask, return_all_outputs=return_all_outputs)
