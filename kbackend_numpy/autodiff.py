"""Reverse-mode autodiff for the numpy engine.

While a gradient is being taken, values that depend on the inputs are `Box`es:
an ndarray plus the `Node` that produced it. Ops written with `@differentiable`
compute on the raw arrays and, when any input is boxed, record a node holding
the backward function (one vector-Jacobian product). `backward` walks the
nodes from the output in reverse topological order. Outside a gradient nothing
is boxed and the ops cost one isinstance check each, except while a K.jit call is
recorded (replay.py): then values without a gradient are Boxes whose node is None,
so that Python operators on them still reach the ops, and the ops report each
kernel call to the record.
"""

import functools

import numpy as np

from kbackend import generic, scope, tree

from . import replay
from .replay import _local as _replay_state


class Node:
    __slots__ = ("parents", "backward")

    def __init__(self, parents, backward):
        self.parents = parents      # one Node (or None for a constant) per tensor input
        self.backward = backward    # g -> one gradient (or None) per tensor input


class Box:
    """A traced value: behaves like a tensor of the numpy engine."""
    __slots__ = ("value", "node", "__weakref__")  # weak refs: masks follow traced values (core.engine.masks)
    __array_priority__ = 1000  # ndarray (op) Box defers to Box's reflected operator

    def __init__(self, value, node):
        self.value = value
        self.node = node

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    dtype = property(lambda self: self.value.dtype)

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        return f"Box({self.value!r})"

    def __bool__(self):
        replay.opaque("a traced value is read on the host (bool)")
        return bool(self.value)

    def __float__(self):
        replay.opaque("a traced value is read on the host (float)")
        return float(self.value)

    def __int__(self):
        replay.opaque("a traced value is read on the host (int)")
        return int(self.value)

    def __array__(self, dtype=None, copy=None):
        replay.opaque("a traced value is converted by numpy outside the engine's kernels")
        return self.value if dtype is None else self.value.astype(dtype)

    __hash__ = object.__hash__

    def __getitem__(self, key):
        return getitem(self, key)

    @property
    def T(self):
        from . import math
        return math.transpose(self)


replay._Box = Box  # (replay.py cannot import this module: it is imported by it)


def _install_operators():
    from . import math
    binary = [("add", math.add), ("sub", math.subtract), ("mul", math.multiply),
              ("truediv", math.divide), ("floordiv", math.floor_divide),
              ("mod", math.mod), ("pow", math.pow), ("matmul", math.matmul)]
    for name, fn in binary:
        setattr(Box, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
        setattr(Box, f"__r{name}__", lambda self, other, fn=fn: fn(other, self))
    compare = [("lt", math.less), ("le", math.less_equal), ("gt", math.greater),
               ("ge", math.greater_equal), ("eq", math.equal), ("ne", math.not_equal)]
    for name, fn in compare:
        setattr(Box, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
    Box.__and__ = lambda self, other: math.logical_and(self, other)
    Box.__or__ = lambda self, other: math.logical_or(self, other)
    Box.__invert__ = lambda self: math.logical_not(self)
    Box.__neg__ = lambda self: math.negative(self)
    Box.__abs__ = lambda self: math.abs(self)
    Box.__pos__ = lambda self: self


def raw(x):
    """The ndarray inside x (x itself when it is not boxed)."""
    return x.value if isinstance(x, Box) else x


def differentiated(x):
    """Whether x is a value a gradient is being taken through (a Box with a node; while a
    K.jit call is recorded, values that carry no gradient are Boxes without one)."""
    return type(x) is Box and x.node is not None


def detach(x):
    """x without its gradient: the raw array, or while a K.jit call is recorded a Box
    without a node, so that Python operators on it still go through the engine's ops."""
    value = raw(x)
    if type(value) is np.ndarray and getattr(_replay_state, "recorder", None) is not None:
        return Box(value, None)
    return value


def differentiable(fn):
    """Turn fn(*arrays, **static) -> (out, backward) into an op on boxes.

    Positional arguments are the tensors (ndarrays, already converted);
    keyword arguments are static options. backward(g) returns one gradient per
    positional argument (None where there is none), each of that argument's
    shape.
    """
    @functools.wraps(fn)
    def op(*args, **kwargs):
        rec = getattr(_replay_state, "recorder", None)  # a K.jit call being recorded (replay.py)
        for a in args:  # a plain loop: this check runs on every op call
            if type(a) is Box:
                break
        else:
            return (fn(*args, **kwargs) if rec is None else rec.call(fn, args, kwargs))[0]
        values = [raw(a) for a in args]
        out, backward = fn(*values, **kwargs) if rec is None else rec.call(fn, values, kwargs)
        parents = [a.node if type(a) is Box else None for a in args]
        if all(p is None for p in parents):  # Boxes without nodes: recording, nothing to differentiate
            return Box(out, None)
        return Box(out, Node(parents, backward))
    return op


def kernel(fn):
    """A function on tensors whose results have no gradient (argmax, comparisons, ...). While
    a K.jit call is recorded, each call is recorded as one kernel call (its tensors read
    inside it), and its array results come back as Boxes without nodes."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        rec = getattr(_replay_state, "recorder", None)
        if rec is None:
            return fn(*args, **kwargs)
        out = rec.call(fn, [raw(a) for a in args], {k: raw(v) for k, v in kwargs.items()})
        return tuple(map(detach, out)) if type(out) is tuple else detach(out)
    return run


def primitive(fn):
    """autodiff.differentiable, except that fn also receives needs=(one bool per
    tensor input, True where a gradient is wanted), so a backward can skip the
    work for inputs that are constants (the images fed to a first conv layer)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        needs = tuple(differentiated(a) for a in args)
        kwargs["needs"] = needs
        values = [raw(a) for a in args]
        out, backward = replay.call(fn, *values, **kwargs)
        if not any(needs):
            return detach(out)
        return Box(out, Node([a.node if type(a) is Box else None for a in args], backward))
    return op


def _is_basic(key):
    """Basic indexing (ints, slices, None, Ellipsis) never selects an element twice."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


@differentiable
def _getitem(x, key):
    def backward(g):
        dx = np.zeros_like(x)
        if _is_basic(key):
            dx[key] = g
        else:
            np.add.at(dx, key, g)
        return (dx,)
    return np.asarray(x[key]), backward


def getitem(x, key):
    if isinstance(key, tuple):
        key = tuple(raw(k) for k in key)
    return _getitem(x, key=raw(key))


def _toposort(root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in node.parents:
            if p is not None and id(p) not in seen:
                stack.append((p, False))
    return order[::-1]  # the root first


def backward(out, leaves):
    """Gradients of scalar Box `out` with respect to the leaf nodes."""
    if not differentiated(out):
        return [None] * len(leaves)
    if out.value.size != 1:
        raise ValueError(f"Gradients need a scalar loss; got shape {out.value.shape}.")
    call = replay.call  # each vector-Jacobian product and sum is a kernel call of a K.jit record
    rec = replay.recorder()
    grads = {id(out.node): call(np.ones_like, out.value)}
    for node in _toposort(out.node):
        g = grads.pop(id(node), None)
        if g is None or not node.parents:
            if not node.parents and g is not None:
                grads[id(node)] = g  # keep leaf gradients
            continue
        if rec is not None and not rec.follows(node.backward):
            replay.opaque("a gradient function made outside the engine's kernels")
        for parent, pg in zip(node.parents, call(node.backward, g)):
            if parent is None or pg is None:
                continue
            key = id(parent)
            grads[key] = pg if key not in grads else call(np.add, grads[key], pg)
    return [grads.get(id(leaf)) for leaf in leaves]


def _leaf(value):
    return Box(value, Node((), None))


def _own_gradients(grads, values):
    """Each leaf's gradient as an array of its own: zeros where none flowed, and a
    copy unless it is all of a buffer no other leaf's gradient (or value) uses. A
    whole-buffer view (a reshape to the leaf's shape) needs no copy; a broadcast or
    a slice does."""
    out, seen = [], set()
    for g, value in zip(grads, values):
        if g is None:
            g = np.zeros_like(value)
        else:
            buffer = g if type(g) is not np.ndarray or g.base is None else g.base
            if not (type(g) is np.ndarray and type(buffer) is np.ndarray and buffer.base is None
                    and buffer.nbytes == g.nbytes and g.dtype == value.dtype and g.flags.writeable
                    and g.flags.c_contiguous and id(buffer) not in seen and buffer is not value):
                g = buffer = np.array(g, dtype=value.dtype)
            seen.add(id(buffer))
        out.append(g)
    return out


def value_and_grad(fn, has_aux=False):
    from .core import convert_to_tensor

    def wrapped(params, *args, **kwargs):
        leaves, treedef = tree.flatten(params)
        values = [raw(convert_to_tensor(v)) for v in leaves]
        boxes = [_leaf(v) for v in values]
        result = fn(tree.unflatten(treedef, boxes), *args, **kwargs)
        value, aux = result if has_aux else (result, None)
        grads = backward(value, [b.node for b in boxes])
        grads = replay.call(_own_gradients, grads, values)
        value = unbox_all(value)
        out = (value, unbox_all(aux)) if has_aux else value
        return out, tree.unflatten(treedef, [detach(g) for g in grads])
    return wrapped


def gradients(loss_fn, variables):
    variables = generic.gradients_variables(loss_fn, variables)
    values = [v.value for v in variables]
    boxes = [_leaf(v) for v in values]
    with scope.StatelessScope(dict(zip(variables, boxes))):
        loss = loss_fn()
    grads = backward(loss, [b.node for b in boxes])
    return [detach(g) for g in replay.call(_own_gradients, grads, values)]


def unbox_all(structure):
    return tree.map_structure(detach, structure) if structure is not None else None


def stop_gradient(x):
    from .core import convert_to_tensor
    return detach(convert_to_tensor(x))


def eval_shape(fn, *args):
    # eager ops are cheap here: run fn itself
    return fn(*args)


def jit(fn, donate_argnums=()):
    # no compiler: fn recorded once and replayed (replay.py), with denormals flushed as
    # compiled code on the other engines; ops told so may update the donated arguments'
    # state in place (donation.py)
    from .donation import donating
    from .fpenv import flushed
    donate = frozenset(donate_argnums)
    run = flushed(lambda thunk: thunk())

    def context(thunk, args, kwargs, may_donate):
        if not (donate and may_donate):
            return run(thunk)
        with donating([a for i, a in enumerate(args) if i in donate],
                      ([a for i, a in enumerate(args) if i not in donate], kwargs)):
            return run(thunk)
    return functools.wraps(fn)(replay.Replayed(fn, context, donate))
