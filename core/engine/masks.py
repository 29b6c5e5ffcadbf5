"""Masks travel beside the tensors they belong to.

Engine tensors do not all accept new attributes (numpy and jax arrays do not),
so eager masks live in a side table keyed by the tensor's id and dropped when
the tensor is collected. Symbolic tensors carry theirs in `_keras_mask`.
"""

import weakref

_table = {}


def set_mask(tensor, mask):
    if tensor is None:
        return
    try:
        tensor._keras_mask = mask
        return
    except (AttributeError, TypeError):
        pass
    key = id(tensor)
    try:
        ref = weakref.ref(tensor, lambda _, key=key: _table.pop(key, None))
    except TypeError:
        return  # neither attributes nor weak references: the mask cannot follow this tensor
    if mask is None:
        _table.pop(key, None)
    else:
        _table[key] = (ref, mask)


def get_mask(tensor):
    mask = getattr(tensor, "_keras_mask", None)
    if mask is not None:
        return mask
    entry = _table.get(id(tensor))
    if entry is not None and entry[0]() is tensor:
        return entry[1]
    return None
