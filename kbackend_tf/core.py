"""Tensors and dtypes of the TensorFlow engine: the tensor type is tf.Tensor
(eager, or symbolic inside tf.function); Variables are stored in tf.Variable."""

import builtins
import functools
import os
import re

import numpy as np

from kbackend import config, dtypes
from kbackend.variable import Variable


def _import_tensorflow():
    """TensorFlow, without the keras.json its import leaves in KERAS_HOME (its
    legacy Keras and the Keras 3 it loads both write one), which kbackend
    would then read as the user's own configuration."""
    path = config.config_path()
    home = os.path.dirname(path)
    had_home, had_file = os.path.isdir(home), os.path.exists(path)
    import tensorflow
    if not had_file and os.path.exists(path):
        os.remove(path)
        if not had_home and not os.listdir(home):
            os.rmdir(home)
    return tensorflow


# the engine's other modules take `tf` from here, so that this runs first
tf = _import_tensorflow()


@functools.lru_cache(maxsize=None)
def tf_dtype(name):
    """The tf.DType for a dtype name."""
    return tf.as_dtype(dtypes.standardize_dtype(name))


@functools.lru_cache(maxsize=None)
def dtype_name(tf_dt):
    return dtypes.standardize_dtype(tf_dt.name)


def _message(error):
    """TF's error text without its node and op decorations."""
    text = re.sub(r"\{\{[^}]*\}\}\s*|\s*\[\[.*?\]\]", "", error.message, flags=re.S)
    return re.sub(r"\s*\[Op:.*", "", text, flags=re.S)


def tf_errors(fn):
    """fn with TF's own exceptions turned into the ValueError / TypeError
    every engine raises."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except tf.errors.InvalidArgumentError as e:
            if "allowed values" in e.message:  # the op has no kernel for this dtype
                raise TypeError(f"{fn.__name__}: {_message(e)}") from None
            raise ValueError(f"{fn.__name__}: {_message(e)}") from None  # shapes, sizes
        except (tf.errors.NotFoundError, tf.errors.UnimplementedError) as e:  # no kernel
            raise TypeError(f"{fn.__name__}: {_message(e)}") from None
    return op


def _holds_tensor(value):
    if isinstance(value, (list, tuple)):
        return builtins.any(_holds_tensor(v) for v in value)
    return tf.is_tensor(value) or isinstance(value, Variable)


def convert_to_tensor(x, dtype=None):
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, tf.Tensor):  # the common case first: it is cheap to test
        return x if dtype is None else cast(x, dtype)
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        x = tf.convert_to_tensor(x)
        return x if dtype is None else cast(x, dtype)
    if isinstance(x, (list, tuple)) and x and _holds_tensor(x):
        # a list holding tensors (maybe symbolic): stack them in one promoted dtype
        from .math import promote
        x = tf.stack([convert_to_tensor(v) for v in promote(*x)])
        return x if dtype is None else cast(x, dtype)
    arr = np.asarray(x)  # foreign arrays (torch, jax) through the array protocol
    if arr.dtype == object:
        raise TypeError(f"Cannot convert {type(x).__name__} to a tensor.")
    if arr.dtype.kind in "USV":
        raise TypeError(f"Cannot convert {x!r:.50} to a tensor.")
    target = tf_dtype(dtype or dtypes.default_dtype(x, arr) or arr.dtype.name)
    t = tf.convert_to_tensor(arr)
    return t if t.dtype == target else tf.cast(t, target)


def _variable_to_tensor(variable, dtype=None, name=None, as_ref=False):
    value = convert_to_tensor(variable)
    if dtype is not None and not tf.as_dtype(dtype).is_compatible_with(value.dtype):
        return NotImplemented
    return value


# TF's own operators (tensor - variable) then read the Variable's value, the
# scoped one included, instead of copying it through numpy as a constant
tf.register_tensor_conversion_function(Variable, _variable_to_tensor)


def convert_to_numpy(x):
    return np.asarray(convert_to_tensor(x).numpy())


@tf_errors
def constant(value, dtype=None, shape=None, name=None):
    x = convert_to_tensor(value, dtype or config.floatx())
    return x if shape is None else tf.broadcast_to(x, shape_tuple(shape))


def is_tensor(x):
    return tf.is_tensor(x) or isinstance(x, tf.Variable)


def dtype(x):
    if isinstance(x, Variable):
        return x.dtype
    return dtype_name(convert_to_tensor(x).dtype)


def shape(x):
    x = convert_to_tensor(x)
    static = x.shape.as_list()
    if None not in static:
        return tuple(static)
    dynamic = tf.shape(x)
    return tuple(dynamic[i] if d is None else d for i, d in enumerate(static))


def int_shape(x):
    if isinstance(x, Variable):
        return x.shape
    return tuple(convert_to_tensor(x).shape.as_list())


def ndim(x):
    if isinstance(x, Variable):
        return x.ndim
    return convert_to_tensor(x).shape.rank


def cast(x, dtype):
    x = convert_to_tensor(x)
    target = tf_dtype(dtype)
    return x if x.dtype == target else tf.cast(x, target)


def shape_tuple(shape):
    """A shape for tf: an int n gives (n,), a shape tensor passes as it is,
    and a sequence may hold scalar tensors for dynamic sizes."""
    if tf.is_tensor(shape):
        return tf.reshape(shape, [-1])
    if isinstance(shape, (builtins.int, np.integer)):
        return (shape,)
    return tuple(shape)


def zeros(shape, dtype=None, name=None):
    return tf.zeros(shape_tuple(shape), tf_dtype(dtype or config.floatx()))


def ones(shape, dtype=None, name=None):
    return tf.ones(shape_tuple(shape), tf_dtype(dtype or config.floatx()))


@tf_errors
def full(shape, fill_value, dtype=None):
    return tf.fill(shape_tuple(shape), convert_to_tensor(fill_value, dtype or config.floatx()))


def eye(size, dtype=None, name=None):
    rows, cols = (size, size) if isinstance(size, (builtins.int, np.integer)) else size
    return tf.eye(rows, cols, dtype=tf_dtype(dtype or config.floatx()))


def zeros_like(x, dtype=None, name=None):
    x = convert_to_tensor(x)
    return tf.zeros_like(x, x.dtype if dtype is None else tf_dtype(dtype))


def ones_like(x, dtype=None, name=None):
    x = convert_to_tensor(x)
    return tf.ones_like(x, x.dtype if dtype is None else tf_dtype(dtype))


def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None:
        start, stop = 0, start
    target = tf_dtype(dtype)
    if builtins.all(isinstance(v, builtins.int) for v in (start, stop, step)) or target.is_floating:
        return tf.range(start, stop, step, dtype=target)
    # float bounds with an integer dtype: count as numpy does, then convert
    return tf.cast(tf.range(start, stop, step, dtype=tf.float64), target)


def variable_storage(value):
    # a tf.Variable, so that tf.function sees the live value and can assign it
    return tf.Variable(convert_to_tensor(value), trainable=False)


# Eagerly, the raw ops cost a quarter (assign) and half (read) of tf.Variable's methods, which
# add checks and, for assign, a read of the new value: the trainer moves every variable in and
# out of each step. Distributed variables and graphs keep the methods.
_PLAIN_VARIABLE = type(tf.Variable(0.0))


def variable_assign(storage, value):
    if type(storage) is _PLAIN_VARIABLE and tf.executing_eagerly():
        value = convert_to_tensor(value)
        if value.dtype == storage.dtype and value.shape == storage.shape:
            tf.raw_ops.AssignVariableOp(resource=storage.handle, value=value)
            return storage
    storage.assign(value)  # the methods' conversions and errors for everything else
    return storage


def variable_read(storage):
    if type(storage) is _PLAIN_VARIABLE and tf.executing_eagerly():
        return tf.raw_ops.ReadVariableOp(resource=storage.handle, dtype=storage.dtype)
    return storage.value()


def translate_errors(namespace, group):
    """Wrap every protocol op of `group` defined in `namespace` with tf_errors."""
    from kbackend import protocol
    for name in protocol.names(group):
        if name in namespace:
            namespace[name] = tf_errors(namespace[name])
