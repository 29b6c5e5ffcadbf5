"""Math and shape ops of the PyTorch engine.

Binary ops promote with kbackend.dtypes (never torch's own rules): operands
are cast to the promoted dtype first, so torch then computes in that dtype.
Python scalars stay Python scalars where torch accepts them (they are weak in
torch too, so they never change the dtype once the tensor has been cast).
"""

import builtins
import functools

import numpy as np
import torch
import torch.nn.functional as F

from kbackend import config, dtypes, generic, protocol

from .core import (_NAMES, _PY_SCALARS, _TORCH, _WIDER, DEVICE, ON_DEFAULT_DEVICE, compute_dtype,
                   convert_to_tensor, wrap_errors)

_t = convert_to_tensor
_STORAGE_ONLY = {_TORCH[n] for n in _WIDER}
_SIGNED_OR_UINT8 = {torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8}
_SAMPLE = {builtins.bool: True, builtins.int: 1, builtins.float: 1.0, builtins.complex: 1j}


def _ops():
    import kbackend_torch
    return kbackend_torch


@functools.lru_cache(maxsize=None)
def _result(a, b, floatx):
    """result_type of two operands, each a dtype name or a Python scalar type
    (floatx is part of the cache key because weak floats resolve to it)."""
    return dtypes.result_type(_SAMPLE.get(a, a), _SAMPLE.get(b, b))


def _operands(x, y, scalars=True):
    """(x, y, dtype name): both promoted and cast to the dtype torch computes
    in; a Python scalar is kept as is when `scalars` (and y is not also one).
    numpy scalars are weak too: they act as the Python scalar they hold."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(y, np.generic):
        y = y.item()
    tx, ty = type(x), type(y)
    if tx is torch.Tensor and ON_DEFAULT_DEVICE:  # fast paths for the common cases
        if ty is torch.Tensor and x.dtype is y.dtype and x.dtype not in _STORAGE_ONLY:
            return x, y, _NAMES[x.dtype]
        if scalars and (ty is builtins.float and _takes_weak_float(x.dtype) or
                        ty is builtins.int and (x.dtype in _SIGNED_OR_UINT8 or _takes_weak_float(x.dtype))):
            return x, y, _NAMES[x.dtype]
    x_scalar, y_scalar = tx in _PY_SCALARS, ty in _PY_SCALARS
    if not x_scalar:
        x = _t(x)
    if not y_scalar:
        y = _t(y)
    name = _result(tx if x_scalar else _NAMES[x.dtype],
                   ty if y_scalar else _NAMES[y.dtype], config.floatx())
    target = _TORCH[compute_dtype(name)]
    x = _as(x, target, x_scalar and scalars and not y_scalar)
    y = _as(y, target, y_scalar and scalars)
    return x, y, name


def _takes_weak_float(dt):
    return dt.is_floating_point or dt.is_complex


def _as(v, target, keep_scalar):
    if keep_scalar:
        return v
    if isinstance(v, torch.Tensor):
        return v if v.dtype == target else v.to(target)
    return torch.tensor(v, dtype=target, device=DEVICE)


def _done(out, name):
    """Cast a result computed in a wider dtype back to `name`."""
    return out.to(_TORCH[name]) if name in _WIDER else out


def _float(x):
    """x as a tensor of its float result dtype (integers and bool -> floatx)."""
    x = _t(x)
    if x.dtype.is_floating_point or x.dtype.is_complex:
        return x
    return x.to(_TORCH[config.floatx()])


def _all_same_dtype(tensors):
    tensors = [_t(v) for v in tensors]
    target = _TORCH[compute_dtype(dtypes.result_type(*[_NAMES[v.dtype] for v in tensors]))]
    return [v if v.dtype == target else v.to(target) for v in tensors]


# -- elementwise arithmetic ---------------------------------------------------

def add(x, y):
    x, y, d = _operands(x, y)
    return _done(torch.add(x, y), d)


def subtract(x, y):
    x, y, d = _operands(x, y)
    return _done(torch.sub(x, y), d)


def multiply(x, y):
    x, y, d = _operands(x, y)
    return _done(torch.mul(x, y), d)


def divide(x, y):
    x, y, d = _operands(x, y)
    d = dtypes.float_result(d)
    x, y = _as(x, _TORCH[d], type(x) in _PY_SCALARS), _as(y, _TORCH[d], type(y) in _PY_SCALARS)
    return torch.true_divide(x, y)


def floor_divide(x, y):
    x, y, d = _operands(x, y)
    # piecewise constant: its gradient is zero, which torch does not define
    x, y = (v.detach() if isinstance(v, torch.Tensor) else v for v in (x, y))
    return _done(torch.floor_divide(x, y), d)


def mod(x, y):
    x, y, d = _operands(x, y)
    return _done(torch.remainder(x, y), d)


def negative(x):
    return torch.neg(_t(x))


def pow(x, a):
    x, a, d = _operands(x, a)
    return _done(torch.pow(x, a), d)


def square(x):
    x = _t(x)
    return x * x


def sqrt(x):
    return torch.sqrt(_float(x))


def abs(x):
    return torch.abs(_t(x))


def sign(x):
    x = _t(x)
    return torch.sgn(x) if x.dtype.is_complex else torch.sign(x)


def exp(x):
    return torch.exp(_float(x))


def log(x):
    return torch.log(_float(x))


def log1p(x):
    return torch.log1p(_float(x))


def round(x):
    x = _t(x)
    return torch.round(x) if x.dtype.is_floating_point else x  # half to even, as numpy


def floor(x):
    return torch.floor(_float(x))


def ceil(x):
    return torch.ceil(_float(x))


def sin(x):
    return torch.sin(_float(x))


def cos(x):
    return torch.cos(_float(x))


def tanh(x):
    return torch.tanh(_float(x))


def erf(x):
    return torch.erf(_float(x))


def clip(x, min_value, max_value):
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    bounds = [b if b is None or type(b) in _PY_SCALARS else _t(b).to(x.dtype) for b in (min_value, max_value)]
    return torch.clamp(x, *bounds).to(x.dtype)


def maximum(x, y):
    x, y, d = _operands(x, y, scalars=False)
    return _done(torch.maximum(x, y), d)


def minimum(x, y):
    x, y, d = _operands(x, y, scalars=False)
    return _done(torch.minimum(x, y), d)


# -- comparisons and logic ----------------------------------------------------

def _compare(fn):
    def op(x, y):
        x, y, _ = _operands(x, y)
        return fn(x, y)
    return op


equal = _compare(torch.eq)
not_equal = _compare(torch.ne)
greater = _compare(torch.gt)
greater_equal = _compare(torch.ge)
less = _compare(torch.lt)
less_equal = _compare(torch.le)
for _name in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal"):
    globals()[_name].__name__ = _name


def _bool(x):
    x = _t(x)
    return x if x.dtype == torch.bool else x.to(torch.bool)


def logical_and(x, y):
    return torch.logical_and(_bool(x), _bool(y))


def logical_or(x, y):
    return torch.logical_or(_bool(x), _bool(y))


def logical_not(x):
    return torch.logical_not(_bool(x))


def where(condition, x=None, y=None):
    condition = _bool(condition)
    if x is None and y is None:
        return torch.nonzero(condition, as_tuple=True)
    if x is None or y is None:
        raise ValueError("where needs both x and y, or neither.")
    x, y, d = _operands(x, y, scalars=False)
    return _done(torch.where(condition, x, y), d)


def switch(condition, then_expression, else_expression):
    return generic.switch(_ops(), condition, then_expression, else_expression)


# -- reductions ---------------------------------------------------------------

def _axes(axis, ndim):
    """A tuple of axes for torch (None -> all axes)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        return (int(axis),)
    return tuple(int(a) for a in axis)


def _reduce(fn, x, axis, keepdims, **kwargs):
    """fn(x, dim=tuple, keepdim=...) with numpy's meaning of axis: an empty
    tuple (or a 0-d x) reduces nothing, where torch would reduce everything."""
    axes = _axes(axis, x.dim())
    if not axes:
        return fn(x.unsqueeze(-1), dim=(-1,), keepdim=False, **kwargs)
    return fn(x, dim=axes, keepdim=keepdims, **kwargs)


def _sum_dtype(x):
    return torch.int32 if x.dtype == torch.bool else x.dtype


def sum(x, axis=None, keepdims=False):
    x = _t(x)
    return _reduce(torch.sum, x, axis, keepdims, dtype=_sum_dtype(x))


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    dt = _sum_dtype(x)
    axes = sorted(a % builtins.max(x.dim(), 1) for a in _axes(axis, x.dim()))
    if not axes:
        return x.to(dt)
    # torch.prod takes one axis: move the reduced axes last and merge them
    kept = [a for a in range(x.dim()) if a not in axes]
    merged = x.permute(kept + axes).reshape([x.shape[a] for a in kept] + [-1])
    out = torch.prod(merged, dim=-1, dtype=dt)
    if keepdims:
        out = out.reshape([1 if a in axes else x.shape[a] for a in range(x.dim())])
    return out


def mean(x, axis=None, keepdims=False):
    return _reduce(torch.mean, _float(x), axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _reduce(torch.var, _float(x), axis, keepdims, correction=0)


def std(x, axis=None, keepdims=False):
    return _reduce(torch.std, _float(x), axis, keepdims, correction=0)


def max(x, axis=None, keepdims=False):
    return _reduce(torch.amax, _t(x), axis, keepdims)  # amax splits the gradient among ties


def min(x, axis=None, keepdims=False):
    return _reduce(torch.amin, _t(x), axis, keepdims)


def _arg(fn, x, axis):
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    if axis is None:
        return fn(x.reshape(-1), dim=0)
    return fn(x, dim=axis)


def argmax(x, axis=-1):
    return _arg(torch.argmax, x, axis)


def argmin(x, axis=-1):
    return _arg(torch.argmin, x, axis)


def any(x, axis=None, keepdims=False):
    return _reduce(torch.any, _bool(x), axis, keepdims)


def all(x, axis=None, keepdims=False):
    return _reduce(torch.all, _bool(x), axis, keepdims)


def _cumulative(fn, x, axis):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return fn(x, dim=axis, dtype=_sum_dtype(x))


def cumsum(x, axis=0):
    return _cumulative(torch.cumsum, x, axis)


def cumprod(x, axis=0):
    return _cumulative(torch.cumprod, x, axis)


def logsumexp(x, axis=None, keepdims=False):
    return _reduce(torch.logsumexp, _float(x), axis, keepdims)


def l2_normalize(x, axis=None):
    x = _float(x)
    squares = _reduce(torch.sum, x * x, axis, True)
    return x * torch.rsqrt(torch.clamp_min(squares, 1e-12))


# -- products -----------------------------------------------------------------

def dot(x, y):
    return generic.dot(_ops(), x, y)


def matmul(x, y):
    x, y, d = _operands(x, y, scalars=False)
    if x.dtype == torch.bool:  # no bool kernel: count the true products instead
        return _done(torch.matmul(x.to(torch.int32), y.to(torch.int32)) > 0, d)
    return _done(torch.matmul(x, y), d)


def batch_dot(x, y, axes=None):
    return generic.batch_dot(_ops(), x, y, axes)


def einsum(subscripts, *operands):
    return torch.einsum(subscripts, *_all_same_dtype(operands))


# -- shapes -------------------------------------------------------------------

def _ints(values):
    if isinstance(values, (int, np.integer, torch.Tensor)) and np.ndim(values) == 0:
        return (int(values),)
    return tuple(int(v) for v in values)


def transpose(x, axes=None):
    x = _t(x)
    return x.permute(tuple(range(x.dim() - 1, -1, -1)) if axes is None else _ints(axes))


def permute_dimensions(x, pattern):
    return _t(x).permute(_ints(pattern))


def reshape(x, shape):
    return torch.reshape(_t(x), _ints(shape))


def flatten(x):
    return _t(x).reshape(-1)


def batch_flatten(x):
    x = _t(x)
    return x.reshape(x.shape[0], -1)


def expand_dims(x, axis=-1):
    x = _t(x)
    out_ndim = x.dim() + len(_ints(axis))
    for a in sorted(a % out_ndim for a in _ints(axis)):
        x = x.unsqueeze(a)
    return x


def squeeze(x, axis=None):
    x = _t(x)
    if axis is None:
        return torch.squeeze(x)
    axes = _ints(axis)
    for a in axes:
        if not -x.dim() <= a < x.dim():
            raise np.exceptions.AxisError(f"squeeze: axis {a} is out of range for rank {x.dim()}.")
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1 (shape {tuple(x.shape)}).")
    return torch.squeeze(x, dim=axes)


def concatenate(tensors, axis=-1):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate needs at least one tensor.")
    return torch.cat(_all_same_dtype(tensors), dim=axis)


def stack(x, axis=0):
    x = list(x)
    if not x:
        raise ValueError("stack needs at least one tensor.")
    return torch.stack(_all_same_dtype(x), dim=axis)


def tile(x, n):
    return torch.tile(_t(x), _ints(n))


def repeat(x, n):
    x = _t(x)
    return x.unsqueeze(1).repeat((1, int(n)) + (1,) * (x.dim() - 1))


def repeat_elements(x, rep, axis):
    return torch.repeat_interleave(_t(x), int(rep), dim=axis)


def gather(reference, indices):
    return _t(reference)[_t(indices).long()]


def slice(x, start, size):
    x = _t(x)
    start, size = _ints(start), _ints(size)
    if len(start) != x.dim() or len(size) != x.dim():
        raise ValueError(f"slice: start {start} and size {size} need one entry per axis of a rank-{x.dim()} tensor.")
    index = tuple(builtins.slice(b, None if n == -1 else b + n) for b, n in zip(start, size))
    return x[index]


def one_hot(indices, num_classes):
    # a comparison, not F.one_hot: out-of-range classes give a row of zeros (as TF)
    indices = _t(indices)
    classes = torch.arange(int(num_classes), device=DEVICE)
    return (indices.unsqueeze(-1) == classes).to(_TORCH[config.floatx()])


def top_k(x, k, sorted=True):
    x = _t(x)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k={k} must be between 0 and the last axis size {x.shape[-1]}.")
    # a stable descending sort: among ties the lower index comes first (as TF)
    values, indices = torch.sort(x, dim=-1, descending=True, stable=True)
    return values[..., :k], indices[..., :k].to(torch.int32)


def in_top_k(predictions, targets, k):
    predictions = _t(predictions)
    targets = _t(targets).long().reshape(-1, 1)
    target_values = torch.gather(predictions, 1, targets)
    return (predictions > target_values).sum(dim=1) < k


def sort(x, axis=-1):
    return torch.sort(_t(x), dim=axis).values


def _pad_indices(n, before, after, mode):
    """Source indices along one axis for numpy's reflect/symmetric padding."""
    j = np.arange(-before, n + after)
    if mode == "reflect":
        period = 2 * (n - 1)
        if period == 0:
            return np.zeros_like(j)
        j = j % period
        return np.where(j < n, j, period - j)
    j = j % (2 * n)
    return np.where(j < n, j, 2 * n - 1 - j)


def pad(x, pad_width, mode="constant", constant_values=0):
    x = _t(x)
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect' or 'symmetric'; got {mode!r}.")
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.dim(), 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a rank-{x.dim()} tensor.") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative; got {pad_width!r}.")
    if mode == "constant":
        flat = [int(w) for pair in widths[::-1] for w in pair]  # F.pad lists the last axis first
        return F.pad(x, flat, value=constant_values) if x.dim() else x
    for axis, (before, after) in enumerate(widths):
        if before or after:
            index = torch.as_tensor(_pad_indices(x.shape[axis], int(before), int(after), mode), device=DEVICE)
            x = torch.index_select(x, axis, index)
    return x


wrap_errors(globals(), [n for n in protocol.names("math") if n not in ("switch", "dot", "batch_dot")])
