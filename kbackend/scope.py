"""Stateless scopes: run code on given Variable values without touching the Variables.

Inside `StatelessScope({var: value, ...})`, reading `var.value` gives `value`
and `var.assign(x)` records x in the scope instead of changing `var`. The
trainer uses this to run a model's forward pass on traced values (inside
jax.jit, tf.function, or a gradient tape); `assignments()` reads what the code
wanted to store.
"""

import threading

_local = threading.local()


def _stack():
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


class StatelessScope:
    def __init__(self, values=None):
        # keyed by id() so a Variable's __eq__ (elementwise) is never involved
        self._values = {}
        self._assigned = {}
        for var, value in (values.items() if isinstance(values, dict) else (values or ())):
            self._values[id(var)] = (var, value)

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()

    def get(self, var):
        entry = self._values.get(id(var))
        return None if entry is None else entry[1]

    def set(self, var, value):
        self._values[id(var)] = (var, value)
        self._assigned[id(var)] = (var, value)

    def assignments(self):
        """[(variable, new value)] in assignment order, one entry per variable."""
        return list(self._assigned.values())


def current():
    """The innermost active scope, or None."""
    stack = _stack()
    return stack[-1] if stack else None


def lookup(var):
    """The value a scope gives var, searching from the innermost scope out."""
    for scope in reversed(_stack()):
        value = scope.get(var)
        if value is not None:
            return value
    return None
