"""Gradients and compilation of the JAX engine (jax.vjp and jax.jit)."""

import functools

import jax
import jax.numpy as jnp
from jax import lax

from kbackend import generic, scope
from kbackend.variable import Variable

from . import core
from .core import convert_to_tensor


def _pullback(f, primals, has_aux):
    """(value, gradients with respect to primals, aux) of a scalar-valued f."""
    value, vjp, *aux = jax.vjp(f, primals, has_aux=has_aux)
    if jnp.size(value) != 1:
        raise ValueError(f"Gradients need a scalar loss; got shape {jnp.shape(value)}.")
    (grads,) = vjp(jnp.ones_like(value))
    # integer inputs get float0 cotangents; the protocol wants zeros of their dtype
    grads = jax.tree.map(lambda g, p: jnp.zeros(p.shape, p.dtype) if g.dtype == jax.dtypes.float0 else g,
                         grads, primals)
    return value, grads, (aux[0] if has_aux else None)


def value_and_grad(fn, has_aux=False):
    def wrapped(params, *args, **kwargs):
        params = jax.tree.map(convert_to_tensor, params)
        value, grads, aux = _pullback(lambda p: fn(p, *args, **kwargs), params, has_aux)
        return ((value, aux) if has_aux else value), grads
    return wrapped


def gradients(loss_fn, variables):
    variables = generic.gradients_variables(loss_fn, variables)
    values = [convert_to_tensor(v.value) for v in variables]

    def loss_of(traced):
        with scope.StatelessScope(dict(zip(variables, traced))):
            return loss_fn()

    _, grads, _ = _pullback(loss_of, values, False)
    return list(grads)


def stop_gradient(x):
    return lax.stop_gradient(convert_to_tensor(x))


class _Tracking(scope.StatelessScope):
    """A scope giving jit's inputs for known Variables that notes the others
    the function reads (they would otherwise be baked in as constants)."""

    def __init__(self, variables, values):
        super().__init__(dict(zip(variables, values)))
        self.missed = []

    def get(self, var):
        value = super().get(var)
        if value is None:
            self.missed.append(var)
        return value


@jax.tree_util.register_static
class _Slot:
    """Stands in the arguments for a Variable passed to a jitted function: its
    position in jit's list (static, so jax does not try to trace the Variable)."""

    def __init__(self, index):
        self.index = index

    def __eq__(self, other):
        return isinstance(other, _Slot) and other.index == self.index

    def __hash__(self):
        return hash(self.index)


def eval_shape(fn, *args):
    # abstract evaluation: nothing is compiled. A model that creates weights in
    # this call needs their values, so then it runs again with whatever does not
    # depend on args computed for real (only then: each such op compiles once,
    # ~30 ms apiece, e.g. slicing the weights of a fused LSTM)
    core.abstract_probe[0] = True
    try:
        return jax.eval_shape(fn, *args)
    except core.NeedsConcrete:
        pass
    finally:
        core.abstract_probe[0] = False

    def traced(*inputs):
        with jax.ensure_compile_time_eval():
            return fn(*inputs)
    return jax.eval_shape(traced, *args)


def jit(fn, donate_argnums=()):
    """jax.jit of fn that also handles the Variables fn reads and assigns
    (a SeedGenerator's state among them) or gets as arguments: their values
    become inputs and outputs of the compiled function, and the new values
    are assigned after each call. The arguments at donate_argnums give their
    buffers to the outputs (updated in place; the caller must not use them
    after the call)."""
    variables = []  # every Variable seen so far; grows when a trace finds more
    missed = []
    donate = tuple(sorted(donate_argnums))

    def learn(found):
        seen = {id(v) for v in variables}
        for v in found:
            if id(v) not in seen:
                seen.add(id(v))
                variables.append(v)

    def pure(values, donated, args, kwargs):
        args = list(args)
        for i, a in zip(donate, donated):
            args[i] = a
        known = variables[:len(values)]
        args, kwargs = jax.tree.map(lambda a: known[a.index] if isinstance(a, _Slot) else a, (args, kwargs),
                                    is_leaf=lambda a: isinstance(a, _Slot))
        tracker = _Tracking(known, values)
        with tracker:
            out = fn(*args, **kwargs)
        index = {id(v): i for i, v in enumerate(known)}
        # a Variable assigned but never read must become an input too, to get an index
        missed.extend(tracker.missed + [v for v, _ in tracker.assignments() if id(v) not in index])
        updates = {index[id(v)]: value for v, value in tracker.assignments() if id(v) in index}
        return out, updates

    compiled = jax.jit(pure, donate_argnums=(1,) if donate else ())
    probed = False

    @functools.wraps(fn)
    def call(*args, **kwargs):
        nonlocal probed
        learn(a for a in jax.tree.leaves((args, kwargs)) if isinstance(a, Variable))
        position = {id(v): i for i, v in enumerate(variables)}
        args, kwargs = jax.tree.map(lambda a: _Slot(position[id(a)]) if isinstance(a, Variable) else a, (args, kwargs))
        donated = _distinct_buffers(tuple(args[i] for i in donate))
        args = tuple(None if i in donate else a for i, a in enumerate(args))
        if not probed:  # first call: trace (jit reuses the trace) to find the Variables fn reads
            probed = True
            missed.clear()
            compiled.trace([v.value for v in variables], donated, args, kwargs)
            learn(missed)
        # a later trace (new argument shapes) may read Variables not passed in:
        # learn them and call once more (Variables created inside fn stay constants)
        for _ in range(2):
            missed.clear()
            out, updates = compiled([v.value for v in variables], donated, args, kwargs)
            if not missed:
                break
            learn(missed)
        for i, value in updates.items():
            variables[i].assign(value)
        return out

    return call


def _distinct_buffers(structure):
    """structure with a copy wherever an array repeats (a buffer can be donated once)."""
    seen = set()

    def once(a):
        if isinstance(a, jax.Array):
            if id(a) in seen:
                return jnp.array(a, copy=True)
            seen.add(id(a))
        return a
    return jax.tree.map(once, structure)
