"""The Variable: a named, assignable tensor, the same class on every engine.

The engine decides how values are stored (`variable_storage`,
`variable_assign`, `variable_read`); reads and writes inside a
`StatelessScope` go to the scope instead (see scope.py).

`value` is the engine's current tensor, which a compiled train step may
update in place (the numpy engine's Adam; jax donates its buffers): for a
snapshot use `numpy()`, `K.eval`, `K.convert_to_numpy` or `get_weights`.
"""

import itertools

import numpy as np

from . import dtypes, scope
from .active import engine

_ids = itertools.count()


class Variable:
    # numpy binary operators defer to ours, so ndarray + Variable is an engine op
    __array_priority__ = 100

    def __init__(self, value, dtype=None, name=None, trainable=True, constraint=None):
        eng = engine()
        if callable(value):
            value = value()
        if dtype is None:
            inferred = dtypes.standardize_dtype(eng.dtype(eng.convert_to_tensor(value)))
            dtype = dtypes.float_result(inferred) if dtypes.is_float(inferred) else inferred
        self._dtype = dtypes.standardize_dtype(dtype)
        tensor = eng.convert_to_tensor(value, self._dtype)
        self._shape = tuple(eng.int_shape(tensor))
        self._storage = eng.variable_storage(tensor)
        self.name = name or f"variable_{next(_ids)}"
        self.trainable = trainable
        self.constraint = constraint

    # -- state ---------------------------------------------------------------
    @property
    def value(self):
        scoped = scope.lookup(self)
        if scoped is not None:
            return scoped
        return engine().variable_read(self._storage)

    def assign(self, value):
        eng = engine()
        value = eng.cast(eng.convert_to_tensor(value), self._dtype)
        if tuple(eng.int_shape(value)) != self._shape:
            raise ValueError(f"Cannot assign a value of shape {tuple(eng.int_shape(value))} "
                             f"to variable '{self.name}' of shape {self._shape}.")
        active = scope.current()
        if active is not None:
            active.set(self, value)
        else:
            self._storage = eng.variable_assign(self._storage, value)
        return self

    def _replace(self, value):
        """Store value as is, outside any scope and without conversion or
        checks: for callers (the trainer) whose value came out of a step that
        was given this Variable's own value, so dtype and shape already match."""
        self._storage = engine().variable_assign(self._storage, value)

    def assign_add(self, delta):
        return self.assign(engine().add(self.value, delta))

    def assign_sub(self, delta):
        return self.assign(engine().subtract(self.value, delta))

    def numpy(self):
        # a snapshot of its own: training may update the storage in place (numpy engine)
        return np.array(engine().convert_to_numpy(self.value), copy=True)

    # -- description ---------------------------------------------------------
    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of a 0-d variable")
        return self._shape[0]

    def __repr__(self):
        return f"<Variable '{self.name}' shape={self._shape} dtype={self._dtype}>"

    __hash__ = object.__hash__

    # -- conversion ----------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def __jax_array__(self):
        return self.value

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __bool__(self):
        return bool(self.numpy())

    def __getitem__(self, key):
        return self.value[key]


def _binary(op_name, reflected=False):
    def method(self, other):
        op = getattr(engine(), op_name)
        return op(other, self) if reflected else op(self, other)
    method.__name__ = op_name
    return method


def _unary(op_name):
    def method(self):
        return getattr(engine(), op_name)(self)
    return method


for _name, _op in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                   ("truediv", "divide"), ("floordiv", "floor_divide"),
                   ("mod", "mod"), ("pow", "pow"), ("matmul", "matmul")]:
    setattr(Variable, f"__{_name}__", _binary(_op))
    setattr(Variable, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                   ("ge", "greater_equal"), ("eq", "equal"), ("ne", "not_equal"),
                   ("and", "logical_and"), ("or", "logical_or")]:
    setattr(Variable, f"__{_name}__", _binary(_op))
Variable.__neg__ = _unary("negative")
Variable.__abs__ = _unary("abs")
Variable.__invert__ = _unary("logical_not")
Variable.__pos__ = lambda self: self.value
