"""Symbolic tensors: what `Input(...)` returns and layers return when called on it.

A KerasTensor holds a shape (None for unknown sizes) and a dtype, never data.
`_keras_history` = (layer, node_index, tensor_index) says which call produced
it, so a functional model can walk back from its outputs to its inputs.
"""

import itertools

from kbackend import dtypes, tree

_ids = itertools.count()


class KerasTensor:
    def __init__(self, shape, dtype="float32", name=None, record_history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtypes.standardize_dtype(dtype)
        self.name = name or f"keras_tensor_{next(_ids)}"
        self._keras_history = record_history
        self._keras_mask = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError("A symbolic tensor has no len(); use .shape.")

    def __bool__(self):
        raise TypeError(f"A symbolic tensor ({self.name}) has no truth value: it holds no data. "
                        "Use kbackend ops inside a layer (Lambda or a Layer subclass) instead.")

    def __iter__(self):
        raise TypeError(f"A symbolic tensor ({self.name}) cannot be iterated.")

    def __array__(self, *args, **kwargs):
        raise TypeError(f"A symbolic tensor ({self.name}) cannot be turned into a numpy array: it holds "
                        "no data. Build a Model from it and call predict() instead.")

    __hash__ = object.__hash__


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def any_symbolic(structure):
    return any(isinstance(t, KerasTensor) for t in tree.flatten(structure)[0])
