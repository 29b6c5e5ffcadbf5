"""Tensors and dtypes of the PyTorch engine: the tensor type is torch.Tensor,
on one device chosen at import (cuda when available, else the CPU).

torch has uint16/uint32 tensors but (as of 2.13) no CPU arithmetic,
comparisons or max/min on them; the binary ops compute them in a wider signed
type and cast back (see `compute_dtype`). Other ops on them are left to torch.
"""

import builtins
import functools

import numpy as np
import torch

from kbackend import config, dtypes
from kbackend.variable import Variable

try:  # numpy has no bfloat16 of its own; ml_dtypes adds one we can share bits with
    import ml_dtypes
    _NP_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:
    _NP_BFLOAT16 = None

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
# on the CPU every tensor is already on DEVICE, so the checks can be skipped
ON_DEFAULT_DEVICE = DEVICE.type == "cpu"

_TORCH = {name: getattr(torch, name) for name in dtypes.ALL}
_NAMES = {dt: name for name, dt in _TORCH.items()}
# types torch stores but cannot compute with: binary ops run in these instead
_WIDER = {"uint16": "int32", "uint32": "int64"}
_PY_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


@functools.lru_cache(maxsize=None)
def torch_dtype(dtype):
    """The torch dtype for a dtype name (or any dtype-like object)."""
    return _TORCH[dtypes.standardize_dtype(dtype)]


def compute_dtype(name):
    """The dtype to compute a `name` result in (itself, or a wider one)."""
    return _WIDER.get(name, name)


def _errors_to_python(fn):
    """Re-raise torch's RuntimeErrors as the protocol's exception types:
    unsupported dtypes -> TypeError, everything else (shapes) -> ValueError;
    an axis out of range -> numpy's AxisError (a ValueError and an IndexError)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:  # a RuntimeError too, but it means "no kernel here": callers fall back
            raise
        except RuntimeError as e:
            msg = str(e)
            if "not implemented for" in msg or "not supported" in msg:
                raise TypeError(f"{fn.__name__}: {msg}") from None
            raise ValueError(f"{fn.__name__}: {msg}") from None
        except IndexError as e:
            if "Dimension out of range" in str(e):
                raise np.exceptions.AxisError(f"{fn.__name__}: {e}") from None
            raise
    return op


def wrap_errors(namespace, names):
    """Apply `_errors_to_python` to the ops `names` of a module namespace."""
    for name in names:
        namespace[name] = _errors_to_python(namespace[name])


def _from_numpy(arr):
    if arr.dtype == object:
        raise TypeError("Cannot convert an object array to a tensor.")
    if arr.dtype.kind in "US":
        raise TypeError(f"Cannot convert strings to a tensor: {arr!r:.50}.")
    if _NP_BFLOAT16 is not None and arr.dtype == _NP_BFLOAT16:
        bits = torch.from_numpy(np.ascontiguousarray(arr).view(np.int16))
        return bits.view(torch.bfloat16).to(DEVICE)
    if arr.dtype.name not in _TORCH:
        arr = arr.astype(dtypes.standardize_dtype(arr.dtype.name))  # raises for unsupported ones
    if not arr.flags.writeable or not arr.flags.c_contiguous:
        arr = np.array(arr, order="C")  # torch needs writable, positively strided memory
    return torch.from_numpy(arr).to(DEVICE)


def _holds_tensor(seq):
    return builtins.any(isinstance(v, (torch.Tensor, Variable)) or
                        (isinstance(v, (list, tuple)) and _holds_tensor(v)) for v in seq)


def _from_sequence(x, dtype):
    """Lists and tuples: of tensors (stacked), or of numbers (through numpy;
    without a dtype, floats become floatx and ints int32)."""
    if _holds_tensor(x):
        parts = [convert_to_tensor(v) for v in x]
        target = _TORCH[dtypes.result_type(*[_NAMES[p.dtype] for p in parts])]
        return torch.stack([p.to(target) for p in parts])
    arr = np.asarray(x)
    if dtype is not None:
        return _from_numpy(arr)
    if arr.dtype.kind == "f":
        return _from_numpy(arr).to(_TORCH[config.floatx()])
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.int32)
    elif arr.dtype.kind == "c":
        arr = arr.astype(np.complex64)
    return _from_numpy(arr)


def convert_to_tensor(x, dtype=None):
    if isinstance(x, torch.Tensor):
        if dtype is None:
            return x if ON_DEFAULT_DEVICE or x.device == DEVICE else x.to(DEVICE)
        return x.to(device=DEVICE, dtype=torch_dtype(dtype))
    if isinstance(x, Variable):
        return convert_to_tensor(x.value, dtype)
    if isinstance(x, _PY_SCALARS) and not isinstance(x, np.generic):  # numpy scalars keep their dtype
        return torch.tensor(x, dtype=torch_dtype(dtype or dtypes.default_dtype(x)), device=DEVICE)
    if isinstance(x, (list, tuple)):
        out = _from_sequence(x, dtype)
    elif isinstance(x, (np.ndarray, np.generic)):
        out = _from_numpy(np.asarray(x))
    elif x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"Cannot convert {type(x).__name__} to a tensor.")
    elif hasattr(x, "__array__"):  # foreign arrays (jax, tf) through the array protocol
        out = _from_numpy(np.asarray(x))
    else:
        raise TypeError(f"Cannot convert {type(x).__name__} to a tensor.")
    return out if dtype is None else out.to(torch_dtype(dtype))


def convert_to_numpy(x):
    x = convert_to_tensor(x).detach().cpu()
    if x.dtype == torch.bfloat16:
        if _NP_BFLOAT16 is not None:  # the same bits, as ml_dtypes' bfloat16
            return x.contiguous().view(torch.int16).numpy().view(_NP_BFLOAT16)
        return x.float().numpy()  # no ml_dtypes: float32 holds every bfloat16 exactly
    return x.numpy()


def constant(value, dtype=None, shape=None, name=None):
    x = convert_to_tensor(value, dtype or config.floatx())
    if shape is not None:
        x = x.expand(_shape_tuple(shape)).clone()
    return x


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def dtype(x):
    return _NAMES[convert_to_tensor(x).dtype]


def shape(x):
    return tuple(convert_to_tensor(x).shape)


def int_shape(x):
    return tuple(convert_to_tensor(x).shape)


def ndim(x):
    return convert_to_tensor(x).dim()


def cast(x, dtype):
    return convert_to_tensor(x).to(torch_dtype(dtype))


def _shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def zeros(shape, dtype=None, name=None):
    return torch.zeros(_shape_tuple(shape), dtype=torch_dtype(dtype or config.floatx()), device=DEVICE)


def ones(shape, dtype=None, name=None):
    return torch.ones(_shape_tuple(shape), dtype=torch_dtype(dtype or config.floatx()), device=DEVICE)


def full(shape, fill_value, dtype=None):
    dt = torch_dtype(dtype or config.floatx())
    fill = convert_to_tensor(fill_value, dt)
    return fill.expand(_shape_tuple(shape)).clone()


def eye(size, dtype=None, name=None):
    rows, cols = (size, size) if isinstance(size, (int, np.integer)) else size
    return torch.eye(int(rows), int(cols), dtype=torch_dtype(dtype or config.floatx()), device=DEVICE)


def zeros_like(x, dtype=None, name=None):
    x = convert_to_tensor(x)
    return torch.zeros_like(x, dtype=None if dtype is None else torch_dtype(dtype))


def ones_like(x, dtype=None, name=None):
    x = convert_to_tensor(x)
    return torch.ones_like(x, dtype=None if dtype is None else torch_dtype(dtype))


def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None:
        start, stop = 0, start
    start, stop, step = (v.item() if isinstance(v, torch.Tensor) else v for v in (start, stop, step))
    dt = torch_dtype(dtype)
    if dt.is_floating_point or builtins.all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
        return torch.arange(start, stop, step, dtype=dt, device=DEVICE)
    # numpy semantics for fractional bounds with an integer dtype: count, then cast
    return torch.arange(start, stop, step, dtype=torch.float64, device=DEVICE).to(dt)


def variable_storage(value):
    return convert_to_tensor(value).detach().clone()


def variable_assign(storage, value):
    return convert_to_tensor(value).detach()


def variable_read(storage):
    return storage
