"""Tensors and dtypes of the JAX engine: the tensor type is jax.Array
(tracers included, so every op works inside jax.jit and jax.grad)."""

import builtins
import functools

import jax

# float64/int64 must exist for the promotion table; every op below passes
# explicit dtypes, so floatx/int32 stay the defaults.
jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from kbackend import config, dtypes  # noqa: E402
from kbackend.variable import Variable  # noqa: E402

_PY_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)
# a representative value per Python scalar type, for dtypes.result_type
_WEAK = {builtins.bool: False, builtins.int: 0, builtins.float: 0.0, builtins.complex: 0j}


def jnp_dtype(name):
    """The jax dtype for a dtype name, None meaning floatx (ValueError for unknown names)."""
    return _jnp_dtype(config.floatx() if name is None else name)


@functools.lru_cache(maxsize=None)
def _jnp_dtype(name):
    name = dtypes.standardize_dtype(name)
    return jnp.dtype(jnp.bfloat16) if name == "bfloat16" else jnp.dtype(name)


@functools.lru_cache(maxsize=None)
def dtype_name(dt):
    return dtypes.standardize_dtype(np.dtype(dt).name)


def shape_errors(fn):
    """jax reports incompatible shapes as TypeError; the protocol wants ValueError."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            if "shape" in str(e).lower():
                raise ValueError(str(e)) from e
            raise
    return op


def _from_numpy(x, dtype):
    # Host data becomes a concrete array even while jax traces (a jax op would
    # give a tracer there), so a Variable created inside jit keeps real storage.
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.dtype.kind in "USO" or (x.dtype.kind == "V" and x.dtype.name not in dtypes.ALL):
        raise TypeError(f"Cannot convert {x.dtype} data to a tensor: {x!r:.60}.")
    # cast on the host: a cast on the device compiles one more small program per shape
    x = x.astype(jnp_dtype(dtype or dtype_name(x.dtype)), copy=False)
    with jax.ensure_compile_time_eval():
        return jax.device_put(x)


def _from_sequence(x, dtype):
    """Lists/tuples: through numpy unless they hold engine tensors or Variables."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return builtins.all(plain(e) for e in v)
        return not isinstance(v, (jax.Array, Variable))
    if plain(x):
        arr = np.asarray(x)
        if dtype is None and arr.dtype.kind == "f":
            dtype = config.floatx()
        elif dtype is None and arr.dtype.kind in "iu":
            dtype = "int32"
        return _from_numpy(arr, dtype)
    items = [convert_to_tensor(e) for e in x]
    common = dtype or result_type(*items)
    return jnp.stack([cast(e, common) for e in items])


def convert_to_tensor(x, dtype=None):
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, jax.Array):
        if dtype is None or x.dtype == jnp_dtype(dtype):
            return x
        return x.astype(jnp_dtype(dtype))
    if isinstance(x, (list, tuple)):
        return _from_sequence(x, dtype)
    if isinstance(x, (np.ndarray, np.generic)):  # numpy scalars keep their dtype too
        return _from_numpy(x, dtype)
    if isinstance(x, _PY_SCALARS):
        return _from_numpy(np.asarray(x), dtype or dtypes.default_dtype(x))
    if hasattr(x, "__array__"):  # foreign arrays (torch, tf) through the array protocol
        return _from_numpy(np.asarray(x), dtype)
    raise TypeError(f"Cannot convert {type(x).__name__} to a tensor.")


def convert_to_numpy(x):
    return np.asarray(convert_to_tensor(x))


def constant(value, dtype=None, shape=None, name=None):
    out = convert_to_tensor(value, dtype or config.floatx())
    if shape is not None:
        out = jnp.broadcast_to(out, _shape_tuple(shape))
    return out


def is_tensor(x):
    return isinstance(x, jax.Array)


def dtype(x):
    return dtype_name(convert_to_tensor(x).dtype)


def shape(x):
    # jax shapes are always static
    return tuple(convert_to_tensor(x).shape)


int_shape = shape


def ndim(x):
    return convert_to_tensor(x).ndim


def cast(x, dtype):
    x = convert_to_tensor(x)
    target = jnp_dtype(dtype)
    return x if x.dtype == target else x.astype(target)


# -- dtype promotion ---------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _result_dtype(keys, floatx):
    # floatx is part of the key because weak Python floats resolve to it
    return dtypes.result_type(*(_WEAK.get(k, k) for k in keys))


def _key(x):
    """A hashable promotion key: the dtype name, or the Python scalar type."""
    if isinstance(x, _PY_SCALARS) and not isinstance(x, np.generic):
        return type(x)
    return dtype_name(x.dtype)


def result_type(*xs):
    """The common dtype name of tensors and Python scalars (the promotion table)."""
    return _result_dtype(tuple(_key(x) for x in xs), config.floatx())


def promote(*xs):
    """Operands as tensors of their common dtype; Python (and numpy) scalars stay weak."""
    xs = [x.item() if isinstance(x, np.generic) else x for x in xs]
    xs = [x if isinstance(x, _PY_SCALARS) and not isinstance(x, np.generic) else convert_to_tensor(x)
          for x in xs]
    common = jnp_dtype(result_type(*xs))
    # scalars as 0-d numpy arrays: jax takes their dtype, and they cost no device transfer
    return [np.asarray(x, dtype=common) if isinstance(x, _PY_SCALARS) else
            (x if x.dtype == common else x.astype(common)) for x in xs]


# -- creation ----------------------------------------------------------------

def _shape_tuple(shape):
    if isinstance(shape, (builtins.int, np.integer)):
        return (builtins.int(shape),)
    return tuple(builtins.int(d) for d in shape)


def _dt(dtype):
    return jnp_dtype(dtype or config.floatx())


def zeros(shape, dtype=None, name=None):
    return jnp.zeros(_shape_tuple(shape), _dt(dtype))


def ones(shape, dtype=None, name=None):
    return jnp.ones(_shape_tuple(shape), _dt(dtype))


def full(shape, fill_value, dtype=None):
    return jnp.full(_shape_tuple(shape), convert_to_tensor(fill_value, _dt(dtype)), _dt(dtype))


def eye(size, dtype=None, name=None):
    rows, cols = (size, size) if isinstance(size, (builtins.int, np.integer)) else size
    return jnp.eye(builtins.int(rows), builtins.int(cols), dtype=_dt(dtype))


def zeros_like(x, dtype=None, name=None):
    x = convert_to_tensor(x)
    return jnp.zeros(x.shape, x.dtype if dtype is None else jnp_dtype(dtype))


def ones_like(x, dtype=None, name=None):
    x = convert_to_tensor(x)
    return jnp.ones(x.shape, x.dtype if dtype is None else jnp_dtype(dtype))


def arange(start, stop=None, step=1, dtype="int32"):
    return jnp.arange(start, stop, step, dtype=jnp_dtype(dtype))


# -- variables: jax arrays are immutable, so the storage is the value itself ---

class NeedsConcrete(Exception):
    """A Variable was created from a traced value during a purely abstract
    eval_shape (a model building its weights): that call must run concretely."""


abstract_probe = [False]  # set while autodiff.eval_shape traces with nothing concrete


def variable_storage(value):
    if abstract_probe[0] and isinstance(value, jax.core.Tracer):
        raise NeedsConcrete()
    return convert_to_tensor(value)


def variable_assign(storage, value):
    return convert_to_tensor(value)


def variable_read(storage):
    return storage
