"""Keras 1's `Merge` layer and `merge` function, kept so old code runs.

Each string mode is carried out by today's layer (with a DeprecationWarning
naming it): "sum" Add, "mul" Multiply, "ave" Average, "max" Maximum, "concat"
Concatenate(axis=concat_axis), "dot" Dot(axes=dot_axes) and "cos"
Dot(axes=dot_axes, normalize=True), so shapes and masks follow those layers.
A callable mode is called as mode(inputs, **arguments) (plus mask= when it
takes one), like Keras 1; its output shape comes from `output_shape` (a shape
without the batch axis, or a function of the list of input shapes), else from
running it on zeros.

Not supported: `Merge(layers=[model1, model2])`, Keras 1's way of merging
Sequential branches inside another Sequential. It raises a TypeError that shows
the functional-API equivalent.
"""

import inspect
import warnings

from ..core.lambda_layer import deserialize_function, serialize_function
from ..layer import Layer, probe_output_spec
from .arithmetic import Add, Average, Multiply
from .concatenate import Concatenate
from .dot import Dot
from .extrema import Maximum

# mode -> (the layer that does it today, how to spell it as a layer, as a function)
_MODES = {
    "sum": (lambda m: Add(name=f"{m.name}_add"), "Add()", "add(inputs)"),
    "mul": (lambda m: Multiply(name=f"{m.name}_multiply"), "Multiply()", "multiply(inputs)"),
    "ave": (lambda m: Average(name=f"{m.name}_average"), "Average()", "average(inputs)"),
    "max": (lambda m: Maximum(name=f"{m.name}_maximum"), "Maximum()", "maximum(inputs)"),
    "concat": (lambda m: Concatenate(axis=m.concat_axis, name=f"{m.name}_concatenate"),
               "Concatenate(axis={concat_axis})", "concatenate(inputs, axis={concat_axis})"),
    "dot": (lambda m: Dot(axes=m.dot_axes, name=f"{m.name}_dot"),
            "Dot(axes={dot_axes})", "dot(inputs, axes={dot_axes})"),
    "cos": (lambda m: Dot(axes=m.dot_axes, normalize=True, name=f"{m.name}_dot"),
            "Dot(axes={dot_axes}, normalize=True)", "dot(inputs, axes={dot_axes}, normalize=True)"),
}


def _advice(mode, concat_axis, dot_axes, functional):
    """The deprecation message: what to write today instead."""
    old = "merge(inputs, mode=...)" if functional else "Merge(mode=...)"
    if callable(mode):
        new = "Lambda(lambda inputs: ...)(inputs)"
    else:
        new = _MODES[mode][2 if functional else 1].format(concat_axis=concat_axis, dot_axes=dot_axes)
    return (f"{old} is Keras 1's API and is deprecated; use {new} instead"
            f"{'' if callable(mode) else f' (mode={mode!r})'}.")


def _standard_dot_axes(dot_axes):
    if isinstance(dot_axes, (list, tuple)):
        # Keras 0.x/1 also wrote [[a], [b]]
        dot_axes = [a[0] if isinstance(a, (list, tuple)) and len(a) == 1 else a for a in dot_axes]
        return list(dot_axes)
    return dot_axes


class Merge(Layer):
    def __init__(self, layers=None, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
                 arguments=None, node_indices=None, tensor_indices=None, **kwargs):
        if layers is not None or node_indices is not None or tensor_indices is not None:
            raise TypeError(
                "Merge(layers=[...]) merges Keras 1 Sequential branches, which this library does not support. "
                "Use the functional API instead, e.g. `merged = concatenate([model1.output, model2.output]); "
                "model = Model([model1.input, model2.input], Dense(1)(merged))`, or call "
                "Merge(mode=...)([tensor1, tensor2]) on tensors.")
        if not callable(mode) and mode not in _MODES:
            raise ValueError(f"Merge: unknown mode {mode!r}; use one of {sorted(_MODES)} or a function of the list "
                             "of inputs.")
        dot_axes = _standard_dot_axes(dot_axes)
        warnings.warn(_advice(mode, concat_axis, dot_axes, functional=False), DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.mode = mode
        self.concat_axis = concat_axis
        self.dot_axes = dot_axes
        self._output_shape = tuple(output_shape) if output_shape is not None and not callable(output_shape) \
            else output_shape
        self._output_mask = output_mask
        self.arguments = dict(arguments or {})
        self.supports_masking = True
        # the layer that carries out a string mode (it has no weights)
        self._merge_layer = None if callable(mode) else _MODES[mode][0](self)

    def build(self, input_shape):
        if self._merge_layer is not None:
            self._merge_layer.build(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"Layer '{self.name}' (Merge) must be called on a list of at least 2 tensors; got "
                             f"{type(inputs).__name__}.")
        if self._merge_layer is None:
            kwargs = dict(self.arguments)
            if "mask" in _parameters(self.mode):
                kwargs["mask"] = mask
            return self.mode(list(inputs), **kwargs)
        if self._merge_layer._call_accepts("mask"):
            return self._merge_layer.call(inputs, mask=mask)
        return self._merge_layer.call(inputs)

    def compute_output_shape(self, input_shape):
        if self._merge_layer is not None:
            return self._merge_layer.compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(list(input_shape)))
        return (input_shape[0][0],) + self._output_shape

    def compute_output_spec(self, *args, **kwargs):
        if self._merge_layer is None and self._output_shape is None:
            return probe_output_spec(self.call, args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if self._merge_layer is not None:
            return self._merge_layer.compute_mask(inputs, mask)
        if callable(self._output_mask):
            return self._output_mask(mask)
        return self._output_mask

    def get_config(self):
        config = super().get_config()

        def function_or_value(value):
            return serialize_function(value) if callable(value) else value
        config.update({
            "mode": function_or_value(self.mode),
            "concat_axis": self.concat_axis,
            "dot_axes": self.dot_axes,
            "output_shape": function_or_value(self._output_shape),
            "output_mask": function_or_value(self._output_mask),
            "arguments": self.arguments,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        for key in ("mode", "output_shape", "output_mask"):
            kind = config.pop(f"{key}_type", "raw")  # Keras 1 wrote "raw", "function" or "lambda"
            value = config.get(key)
            if kind == "function":
                value = {"class_name": "function", "config": value, "registered_name": value}
            elif kind == "lambda":
                value = {"class_name": "__lambda__", "config": {"value": value}}
            if isinstance(value, dict):
                config[key] = deserialize_function(value, f"{key} (of a Merge layer)", custom_objects, safe_mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # loading a saved model is not the user's code
            return super().from_config(config)


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
          name=None):
    """Keras 1's functional merge: Merge(mode=..., ...)(inputs), with a DeprecationWarning
    naming today's function."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the warning below names the function instead
        layer = Merge(mode=mode, concat_axis=concat_axis, dot_axes=dot_axes, output_shape=output_shape,
                      output_mask=output_mask, arguments=arguments, name=name)
    warnings.warn(_advice(mode, concat_axis, layer.dot_axes, functional=True), DeprecationWarning, stacklevel=2)
    return layer(inputs)
