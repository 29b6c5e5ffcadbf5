"""dtype names and the one promotion table every engine follows."""

import builtins
import numbers

import numpy as np

FLOATS = ("float16", "bfloat16", "float32", "float64")
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32")
COMPLEX = ("complex64", "complex128")
ALL = ("bool",) + UNSIGNED + SIGNED + FLOATS + COMPLEX

_ALIASES = {"float": "float32", "double": "float64", "half": "float16",
            "int": "int64", "bool_": "bool", "cfloat": "complex64"}

_BITS = {"bool": 1, "uint8": 8, "uint16": 16, "uint32": 32, "int8": 8,
         "int16": 16, "int32": 32, "int64": 64, "float16": 16, "bfloat16": 16,
         "float32": 32, "float64": 64, "complex64": 64, "complex128": 128}


def standardize_dtype(dtype):
    """The canonical string name of `dtype` (a string, numpy dtype, Python type
    or engine dtype object). Raises ValueError naming the supported dtypes."""
    if dtype is None:
        from . import config
        return config.floatx()
    if dtype is builtins.float:
        return "float32"
    if dtype is builtins.int:
        return "int32"
    if dtype is builtins.bool:
        return "bool"
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", None)
    if name is None:
        name = str(dtype)
    # torch.float32 -> "float32", tf.float32 has .name, numpy dtype has .name
    name = name.rsplit(".", 1)[-1]
    name = _ALIASES.get(name, name)
    if name not in ALL:
        raise ValueError(f"Unsupported dtype {dtype!r}. Supported dtypes: {', '.join(ALL)}.")
    return name


def default_dtype(value, array=None):
    """The dtype a tensor made from `value` gets when none is asked for:
    Python floats floatx, ints int32, bools bool, complex complex64, and
    lists/tuples the same by the kind of their elements (`array`: value as a
    numpy array, if already made). None for numpy arrays and scalars, which
    keep their own dtype."""
    if isinstance(value, (np.ndarray, np.generic)):
        return None
    if isinstance(value, (list, tuple)):
        kind = (np.asarray(value) if array is None else array).dtype.kind
    elif isinstance(value, builtins.bool):
        kind = "b"
    elif isinstance(value, builtins.int):
        kind = "i"
    elif isinstance(value, builtins.float):
        kind = "f"
    elif isinstance(value, builtins.complex):
        kind = "c"
    else:
        return None
    if kind == "f":
        from . import config
        return config.floatx()
    return {"b": "bool", "i": "int32", "u": "int32", "c": "complex64"}.get(kind)


def is_float(dtype):
    return standardize_dtype(dtype) in FLOATS


def is_int(dtype):
    d = standardize_dtype(dtype)
    return d in SIGNED or d in UNSIGNED


def is_complex(dtype):
    return standardize_dtype(dtype) in COMPLEX


def _kind(d):
    if d == "bool":
        return 0
    if d in UNSIGNED or d in SIGNED:
        return 1
    if d in FLOATS:
        return 2
    return 3


def _promote_pair(a, b):
    if a == b:
        return a
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        hi, lo = (a, b) if ka > kb else (b, a)
        if _kind(hi) == 3 and lo == "float64":
            return "complex128"
        return hi  # bool/int with float or complex: the inexact type wins
    if ka == 1:
        ua, ub = a in UNSIGNED, b in UNSIGNED
        if ua == ub:
            return a if _BITS[a] >= _BITS[b] else b
        u, s = (a, b) if ua else (b, a)
        if _BITS[s] > _BITS[u]:
            return s
        return {8: "int16", 16: "int32", 32: "int64"}[_BITS[u]]
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    return a if _BITS[a] >= _BITS[b] else b


def _python_scalar_dtype(value, others):
    """Python scalars (and numpy scalars, numpy's own scalar results) are weak:
    they take the tensor's dtype when it is of the same or a wider kind."""
    if isinstance(value, (builtins.bool, np.bool_)):
        kind = 0
    elif isinstance(value, numbers.Integral):
        kind = 1
    elif isinstance(value, numbers.Real):
        kind = 2
    else:
        kind = 3
    strongest = builtins.max((_kind(d) for d in others), default=-1)
    if strongest >= kind:
        return None
    if kind == 0:
        return "bool"
    if kind == 1:
        return "int32"
    if kind == 2:
        from . import config
        return config.floatx()
    return "complex64"


def result_type(*args):
    """The dtype the operands promote to. Each arg is a dtype name (a
    tensor's dtype) or a Python or numpy scalar (weakly typed)."""
    names = [standardize_dtype(a) for a in args if isinstance(a, str)]
    scalars = [a for a in args if not isinstance(a, str)]
    for s in scalars:
        d = _python_scalar_dtype(s, names)
        if d is not None:
            names.append(d)
    if not names:
        from . import config
        return config.floatx()
    out = names[0]
    for d in names[1:]:
        out = _promote_pair(out, d)
    return out


def float_result(dtype):
    """The dtype of a float-valued op (sqrt, mean, divide) on `dtype`:
    floats and complex keep theirs, bool and integers give floatx."""
    d = standardize_dtype(dtype)
    if _kind(d) >= 2:
        return d
    from . import config
    return config.floatx()
