"""Gradients and compilation of the TensorFlow engine: tf.GradientTape and
tf.function."""

import functools

import numpy as np

from kbackend import generic, scope, tree

from .core import convert_to_tensor, tf, tf_errors


def _scalar(loss):
    loss = convert_to_tensor(loss)
    if loss.shape.num_elements() not in (1, None):
        raise ValueError(f"Gradients need a scalar loss; got shape {tuple(loss.shape)}.")
    return loss


def _differentiable(values):
    """The values a tape can watch (integer ones get zero gradients)."""
    return [v for v in values if v.dtype.is_floating or v.dtype.is_complex]


def gradients(loss_fn, variables):
    variables = generic.gradients_variables(loss_fn, variables)
    # fresh tensors, one per Variable, that the tape watches in place of the Variables
    values = [tf.identity(convert_to_tensor(v.value)) for v in variables]
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(_differentiable(values))
        with scope.StatelessScope(dict(zip(variables, values))):
            loss = _scalar(loss_fn())
    return tape.gradient(loss, values, unconnected_gradients=tf.UnconnectedGradients.ZERO)


def value_and_grad(fn, has_aux=False):
    def wrapped(params, *args, **kwargs):
        leaves, treedef = tree.flatten(params)
        # identity: the same tensor passed twice still gets two separate gradients
        values = [tf.identity(convert_to_tensor(v)) for v in leaves]
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(_differentiable(values))
            result = fn(tree.unflatten(treedef, values), *args, **kwargs)
            value, aux = result if has_aux else (result, None)
            value = _scalar(value)
        grads = tape.gradient(value, values, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return ((value, aux) if has_aux else value), tree.unflatten(treedef, grads)
    return wrapped


def stop_gradient(x):
    return tf.stop_gradient(convert_to_tensor(x))


def eval_shape(fn, *args):
    # eager ops are cheap here: run fn itself
    return fn(*args)


def jit(fn, donate_argnums=()):
    # errors found when the compiled graph runs surface as ValueError / TypeError too
    # no AutoGraph: code written against the protocol has no Python control flow on tensors
    return tf_errors(_flat_calls(tf.function(fn, reduce_retracing=True, autograph=False)))


def _flat_calls(function):
    """function, called through its traced graphs with flat lists of tensors.

    A tf.function matches every call's arguments against its traces in
    Python, leaf by leaf: ~35 us per tensor, ~0.7 ms for the twenty state
    tensors of a small model's train step, as long as the step itself. A call
    whose leaves are all eager tensors (or None; numpy arrays are converted
    first) instead looks up the graph traced for exactly its structure,
    shapes and dtypes and runs it directly; anything else (Python values,
    keyword arguments, calls made while tracing) takes tf.function's own path.
    """
    graphs = {}

    @functools.wraps(function)
    def call(*args, **kwargs):
        if kwargs or not tf.executing_eagerly():
            return function(*args, **kwargs)
        flat = []
        key = tree.signature(args, _leaf_key, flat)
        if key is None:  # host arrays become tensors first, as convert_to_tensor makes them
            args = tree.map_structure(lambda a: convert_to_tensor(a) if isinstance(a, np.ndarray) else a, args)
            flat = []
            key = tree.signature(args, _leaf_key, flat)
        if key is None:
            return function(*args)
        graph = graphs.get(key)
        if graph is None:
            graph = graphs[key] = function.get_concrete_function(*args)
        return graph._call_flat(flat, graph.captured_inputs)

    return call


def _leaf_key(leaf, flat):
    """An eager tensor's dtype and shape (appended to flat, in tf.nest's order: dicts by
    sorted key); None for any other leaf but None itself (namedtuples included: those
    calls take tf.function's own path)."""
    if leaf is None:
        return "none"
    if isinstance(leaf, _EagerTensor):
        flat.append(leaf)
        return leaf.dtype, leaf._shape_tuple()
    return None


_EagerTensor = type(tf.constant(0))
