"""Tensors and dtypes of the numpy engine: the tensor type is numpy.ndarray
(a `Box` while a gradient is being taken)."""

import functools

import numpy as np

from kbackend import config, dtypes
from kbackend.variable import Variable

from . import replay
from .autodiff import Box, detach, differentiable, differentiated, raw
from .donation import is_state, own

try:  # numpy has no bfloat16 of its own; ml_dtypes (installed with jax) adds it
    import ml_dtypes
    _BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:
    _BFLOAT16 = None


# the dtypes this process can hold (bfloat16 only with ml_dtypes)
AVAILABLE = tuple(d for d in dtypes.ALL if d != "bfloat16" or _BFLOAT16 is not None)


@functools.lru_cache(maxsize=None)
def np_dtype(name):
    """The numpy dtype for a dtype name."""
    name = dtypes.standardize_dtype(name)
    if name == "bfloat16":
        if _BFLOAT16 is None:
            raise ValueError("bfloat16 on the numpy engine needs the ml_dtypes package: pip install ml_dtypes.")
        return _BFLOAT16
    return np.dtype(name)


_NAMES = {}  # numpy dtype -> canonical name (dtype.name is slow and asked for on every op)


def dtype_name(np_dt):
    name = _NAMES.get(np_dt)
    if name is None:
        name = _NAMES[np_dt] = dtypes.standardize_dtype(np_dt.name)
    return name


_STANDARD = {}  # dtype argument (str or numpy dtype) -> canonical name, for the per-op checks


def _standard(dtype):
    try:
        return _STANDARD[dtype]
    except (KeyError, TypeError):  # TypeError: an unhashable dtype-like object
        name = dtypes.standardize_dtype(dtype)
        if isinstance(dtype, (str, np.dtype)):
            _STANDARD[dtype] = name
        return name


def convert_to_tensor(x, dtype=None):
    if dtype is None and type(x) is np.ndarray:  # the common case (what the general path below returns too)
        return x
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, Box):
        return x if dtype is None or dtype_name(x.dtype) == _standard(dtype) else cast(x, dtype)
    if dtype is None:
        dtype = dtypes.default_dtype(x)
    if isinstance(x, np.ndarray) and (dtype is None or x.dtype == np_dtype(dtype)):
        return x
    if hasattr(x, "__array__") and not isinstance(x, (np.ndarray, np.generic)) and dtype is None:
        x = np.asarray(x)  # foreign arrays (torch, tf, jax) through the array protocol
    arr = np.asarray(x, dtype=None if dtype is None else np_dtype(dtype))
    if arr.dtype == object:
        raise TypeError(f"Cannot convert {type(x).__name__} to a tensor.")
    if arr.dtype.kind == "U" or arr.dtype.kind == "S":
        raise TypeError(f"Cannot convert strings to a tensor: {x!r:.50}.")
    if dtype is None and arr.dtype.name not in dtypes.ALL:
        arr = arr.astype(np_dtype(dtypes.standardize_dtype(arr.dtype.name)))
    return arr


def convert_to_numpy(x):
    arr = np.asarray(raw(convert_to_tensor(x)))
    # a Variable's state gets a copy: compiled training may update it in place (donation.py)
    return arr.copy() if isinstance(x, Variable) or is_state(arr) else arr


def constant(value, dtype=None, shape=None, name=None):
    arr = np.asarray(raw(convert_to_tensor(value)), dtype=np_dtype(dtype or config.floatx()))
    if shape is not None:
        arr = np.broadcast_to(arr, tuple(shape)).copy()
    return arr


def is_tensor(x):
    return isinstance(x, (np.ndarray, np.generic, Box))


def dtype(x):
    return dtype_name(convert_to_tensor(x).dtype)


def shape(x):
    return tuple(convert_to_tensor(x).shape)


def int_shape(x):
    return tuple(convert_to_tensor(x).shape)


def ndim(x):
    return convert_to_tensor(x).ndim


@differentiable
def _cast(x, dtype):
    target = np_dtype(dtype)

    def backward(g):
        if x.dtype.kind not in "fc":
            return (None,)
        return (g.astype(x.dtype),)
    return x.astype(target), backward


def cast(x, dtype):
    x = convert_to_tensor(x)
    if dtype_name(raw(x).dtype) == _standard(dtype):
        return x
    if np_dtype(dtype).kind not in "fc" and differentiated(x):
        x = detach(x)  # integer results carry no gradient
    return _cast(x, dtype=dtype)


def _shape_tuple(shape):
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def zeros(shape, dtype=None, name=None):
    return np.zeros(_shape_tuple(shape), np_dtype(dtype or config.floatx()))


def ones(shape, dtype=None, name=None):
    return np.ones(_shape_tuple(shape), np_dtype(dtype or config.floatx()))


def full(shape, fill_value, dtype=None):
    return np.full(_shape_tuple(shape), raw(convert_to_tensor(fill_value)), np_dtype(dtype or config.floatx()))


def eye(size, dtype=None, name=None):
    rows, cols = (size, size) if isinstance(size, (int, np.integer)) else size
    return np.eye(rows, cols, dtype=np_dtype(dtype or config.floatx()))


def zeros_like(x, dtype=None, name=None):
    x = raw(convert_to_tensor(x))
    return np.zeros(x.shape, x.dtype if dtype is None else np_dtype(dtype))


def ones_like(x, dtype=None, name=None):
    x = raw(convert_to_tensor(x))
    return np.ones(x.shape, x.dtype if dtype is None else np_dtype(dtype))


def arange(start, stop=None, step=1, dtype="int32"):
    return np.arange(start, stop, step, dtype=np_dtype(dtype))


def variable_storage(value):
    replay.opaque("a Variable is created")  # state the function's arguments do not carry
    return own(np.array(raw(value), copy=True))


def variable_assign(storage, value):
    replay.opaque("a Variable is assigned outside the function's arguments")
    return raw(value)


def variable_read(storage):
    replay.opaque("a Variable is read outside the function's arguments")
    return storage
