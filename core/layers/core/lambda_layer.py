"""Lambda: wraps a function of the inputs as a layer.

Saving: a function defined at module level is recorded by module and name; a
lambda or a nested function (closure) is recorded as Keras 3 does, its
marshalled bytecode in base64 plus defaults and closure values, under
{"class_name": "__lambda__"}. Rebuilding such code runs code from the config,
so `Lambda.from_config` refuses it unless safe mode is off: pass
`safe_mode=False`, or run inside `with SafeModeScope(False):`, or call
`enable_unsafe_deserialization()` once (all three as Keras 3 names them).
Keras 2 configs ("function_type": "lambda" / "function") load the same way.
"""

import codecs
import importlib
import inspect
import marshal
import threading
import types

import numpy as np

import kbackend as K  # noqa: F401  (visible to rebuilt lambdas, which often use K)
from kbackend import dtypes

from ...engine.keras_tensor import KerasTensor
from ...saving import registration
from ...saving.serialization import deserialize_keras_object, serialize_keras_object
from ..layer import Layer, probe_output_spec

# -- safe mode -------------------------------------------------------------------------------------------------------

_unsafe_everywhere = False
_local = threading.local()


def enable_unsafe_deserialization():
    """Let configs rebuild Python lambdas from their bytecode from now on, process-wide."""
    global _unsafe_everywhere
    _unsafe_everywhere = True


class SafeModeScope:
    """`with SafeModeScope(False): ...` allows rebuilding lambdas inside the block only."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        _local.__dict__.setdefault("stack", []).append(self.safe_mode)
        return self

    def __exit__(self, *exc):
        _local.stack.pop()


def in_safe_mode(safe_mode=None):
    """True unless safe_mode=False was passed, a SafeModeScope(False) is active, or
    enable_unsafe_deserialization() was called (an explicit argument wins)."""
    if safe_mode is not None:
        return bool(safe_mode)
    stack = getattr(_local, "stack", None)
    if stack and stack[-1] is not None:
        return bool(stack[-1])
    return not _unsafe_everywhere


# -- functions to configs and back --------------------------------------------------------------------------------

def _needs_code(fn):
    return isinstance(fn, types.FunctionType) and (fn.__name__ == "<lambda>" or "<locals>" in fn.__qualname__)


def serialize_function(fn):
    if _needs_code(fn):
        code = codecs.encode(marshal.dumps(fn.__code__), "base64").decode("ascii")
        closure = None if fn.__closure__ is None else [cell.cell_contents for cell in fn.__closure__]
        defaults = None if fn.__defaults__ is None else list(fn.__defaults__)
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": defaults, "closure": closure}}
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        return {"module": fn.__module__, "class_name": "function", "config": fn.__name__,
                "registered_name": registration.get_registered_name(fn)}
    return serialize_keras_object(fn)  # a callable object with get_config


def deserialize_function(config, what, custom_objects=None, safe_mode=None):
    """what: which argument of the Lambda this is, for error messages."""
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "__lambda__":
        return _load_code(config["config"], what, custom_objects, safe_mode)
    if config.get("class_name") == "function":
        return _find_function(config.get("config"), config.get("registered_name"), config.get("module"),
                              what, custom_objects)
    return deserialize_keras_object(config, custom_objects=custom_objects, kind=f"Lambda {what}")


def _load_code(config, what, custom_objects, safe_mode):
    if in_safe_mode(safe_mode):
        raise ValueError(f"The `{what}` of this Lambda layer is a Python lambda stored as bytecode; rebuilding it "
                         "runs code from the config. If you trust its source, pass safe_mode=False (to load_model "
                         "or Lambda.from_config), or use `with SafeModeScope(False):`, or call "
                         "enable_unsafe_deserialization().")
    value = config.get("value", config)  # Keras 3 also writes {"value": [code, defaults, closure]}
    if isinstance(value, (list, tuple)):
        value = {"code": value[0], "defaults": value[1], "closure": value[2]}
    try:
        code = marshal.loads(codecs.decode(value["code"].encode("ascii"), "base64"))
    except (ValueError, EOFError, TypeError) as err:
        raise ValueError(f"Cannot rebuild the `{what}` of this Lambda layer: its bytecode was written by another "
                         f"Python version ({err}). Rebuild the layer in code and load only its weights.") from err
    namespace = {**globals(), **(custom_objects or {})}
    closure = None if value.get("closure") is None else tuple(types.CellType(v) for v in value["closure"])
    defaults = None if value.get("defaults") is None else tuple(value["defaults"])
    return types.FunctionType(code, namespace, code.co_name, defaults, closure)


def _find_function(name, registered_name, module, what, custom_objects):
    from ... import activations
    for candidate in filter(None, (registered_name, name)):
        found = registration.get_registered_object(candidate, custom_objects, activations.ALL_OBJECTS)
        if found is not None:
            return found
    if module:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            found = None
        if callable(found):
            return found
    raise ValueError(f"Cannot find the function '{name}' (module {module!r}) used as the `{what}` of a Lambda "
                     f"layer. Pass custom_objects={{'{name}': {name}}} or register it with "
                     "@core.saving.register_keras_serializable().")


def _serialize_arguments(arguments):
    def one(value):
        if isinstance(value, np.ndarray):
            return {"class_name": "__numpy__", "config": {"value": value.tolist(),
                                                          "dtype": dtypes.standardize_dtype(value.dtype)}}
        return serialize_keras_object(value)
    return {k: one(v) for k, v in arguments.items()}


def _deserialize_arguments(arguments, custom_objects):
    def one(value):
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":
            return np.asarray(value["config"]["value"], dtype=value["config"]["dtype"])
        if isinstance(value, dict) and "class_name" in value:
            return deserialize_keras_object(value, custom_objects=custom_objects, kind="Lambda argument")
        return value
    return {k: one(v) for k, v in (arguments or {}).items()}


def _from_keras2(config):
    """Keras 2 wrote each function as (value, <name>_type, module); make them Keras 3 shaped."""
    for key in ("function", "output_shape", "mask"):
        kind = config.pop(f"{key}_type", None)
        module = config.pop("module" if key == "function" else f"{key}_module", None)
        value = config.get(key)
        if kind == "lambda":
            config[key] = {"class_name": "__lambda__", "config": {"value": value}}
        elif kind == "function":
            config[key] = {"module": module, "class_name": "function", "config": value, "registered_name": value}
    return config


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _shapes(structure):
    """A shape, or a (nested) list of shapes, with lists from JSON made tuples."""
    if _is_shape(structure):
        return tuple(structure)
    return [_shapes(s) for s in structure]


# -- the layer ---------------------------------------------------------------------------------------------------

class Lambda(Layer):
    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda needs a callable; got {type(function).__name__}.")
        if output_shape is not None and not callable(output_shape):
            output_shape = _shapes(output_shape)
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None
        params = _parameters(function)
        self._pass_mask, self._pass_training = "mask" in params, "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._pass_mask:
            kwargs["mask"] = mask
        if self._pass_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:  # run the function on zeros of that shape
            return _spec_shapes(self.compute_output_spec(_symbolic(input_shape, self.compute_dtype)))
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape
        while not _is_shape(batch):
            batch = batch[0]
        batch = batch[0] if batch else None
        return _with_batch(self._output_shape, batch)

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return probe_output_spec(self.call, args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["function"] = serialize_function(self.function)
        if self._output_shape is not None:
            config["output_shape"] = (serialize_function(self._output_shape) if callable(self._output_shape)
                                      else _lists(self._output_shape))
        if self.mask is not None:
            config["mask"] = serialize_function(self.mask) if callable(self.mask) else serialize_keras_object(
                self.mask)
        config["arguments"] = _serialize_arguments(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """safe_mode=None follows SafeModeScope / enable_unsafe_deserialization (safe by default)."""
        config = _from_keras2(dict(config))
        config["function"] = deserialize_function(config["function"], "function", custom_objects, safe_mode)
        for key in ("output_shape", "mask"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_function(config[key], key, custom_objects, safe_mode)
        config["arguments"] = _deserialize_arguments(config.get("arguments"), custom_objects)
        return super().from_config(config)


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def _with_batch(shapes, batch):
    if _is_shape(shapes):
        return (batch,) + tuple(shapes)
    return [_with_batch(s, batch) for s in shapes]


def _lists(shapes):
    if _is_shape(shapes):
        return list(shapes)
    return [_lists(s) for s in shapes]


def _symbolic(shapes, dtype):
    if _is_shape(shapes):
        return KerasTensor(shapes, dtype)
    return [_symbolic(s, dtype) for s in shapes]


def _spec_shapes(specs):
    if isinstance(specs, KerasTensor):
        return specs.shape
    if isinstance(specs, dict):
        return {k: _spec_shapes(v) for k, v in specs.items()}
    return [_spec_shapes(s) for s in specs]
