"""Sequential: a stack of layers, each feeding the next.

When the input shape is known (an Input, or input_shape / input_dim /
batch_input_shape on the first layer) the stack is traced symbolically at
once, so every layer is built, shape errors surface at `add`, and the node
accessors (`model.input`, `layer.output`) work. Otherwise it is built on the
first call or fit, from the data's shape.
"""

from kbackend import tree

from ..engine import masks
from ..engine.keras_tensor import KerasTensor
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, probe_output_spec
from .model import Model


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._input_layer = None
        self.inputs, self.outputs = [], []
        self._traced = []  # the symbolic output of each layer, while the input is known
        for layer in layers or []:
            self.add(layer)

    # -- the stack -------------------------------------------------------------------
    def add(self, layer):
        if isinstance(layer, KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history[0], InputLayer):
                raise TypeError("Sequential.add accepts layers and Input() tensors; this symbolic tensor does "
                                "not come from Input().")
            layer = history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer instance; got {layer!r} of type "
                            f"{type(layer).__name__}.")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("An InputLayer can only be the first entry of a Sequential model.")
            self._input_layer = layer
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                             f"'{layer.name}' is already the name of a layer in this model.")
        if not self._stack and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape, dtype=layer._dtype_arg,
                                           name=f"{layer.name}_input")
        self._stack.append(layer)
        if self.outputs or (self._input_layer is not None and len(self._stack) == 1):
            try:
                self._extend(layer)
            except Exception:
                self._stack.pop()
                raise

    def pop(self):
        if not self._stack:
            raise TypeError("There are no layers in the model to pop.")
        layer = self._stack.pop()
        if self.outputs:
            node = layer._inbound_nodes.pop()  # the call this model made
            for t in node.input_tensors:
                if t._keras_history is not None and node in t._keras_history[0]._outbound_nodes:
                    t._keras_history[0]._outbound_nodes.remove(node)
            self._traced.pop()
            self.outputs = tree.flatten(self._traced[-1])[0] if self._traced else []
            self.built = bool(self._stack)
        return layer

    def _extend(self, layer):
        """Call the new last layer on the symbolic output so far."""
        if not self.outputs:
            self.inputs = [self._input_layer.output_tensor]
            self._traced = []
        previous = self.outputs[0] if self.outputs else self.inputs[0]
        if len(self.outputs) > 1:
            raise ValueError(f"Layer '{self._stack[-2].name}' returns {len(self.outputs)} tensors; in a Sequential "
                             "model every layer but the last must return one. Use the functional API instead.")
        out = layer(previous)
        self._traced.append(out)
        self.outputs = tree.flatten(out)[0]
        self.built = True

    def _trace(self):
        """Run the whole stack on the symbolic input to build every layer and
        record the graph (for a model whose input shape was learned late)."""
        self.inputs, self.outputs = [], []
        for layer in self._stack:
            self._extend(layer)

    @property
    def layers(self):
        return list(self._stack)

    def _tracked_layers(self):
        return list(self._stack)

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else []

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    # -- building and calling ------------------------------------------------------------
    def build(self, input_shape=None):
        if self.built:
            return
        if input_shape is None:
            raise ValueError(f"Sequential model '{self.name}' cannot be built without an input shape: add an "
                             "Input(shape=...) first, give the first layer input_shape=, or call the model on data.")
        if not self._stack:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build.")
        shape = tuple(input_shape)
        self._input_layer = InputLayer(batch_shape=(None,) + shape[1:], name=f"{self._stack[0].name}_input")
        self._trace()

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if mask is not None:
            masks.set_mask(x, mask)
        for layer in self._stack:
            kwargs = {}
            if training is not None and layer._call_accepts("training"):
                kwargs["training"] = training
            x = layer(x, **kwargs)
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        if self.outputs and len(inputs.shape) == len(self.inputs[0].shape) and all(
                a is None or b is None or a == b for a, b in zip(inputs.shape[1:], self.inputs[0].shape[1:])):
            out = self.outputs[0]
            return KerasTensor((inputs.shape[0],) + out.shape[1:], out.dtype)
        return probe_output_spec(self.call, (inputs,), {"training": training})

    @property
    def input(self):
        if not self.inputs:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input yet: it is built on its "
                                 "first call.")
        return self.inputs[0]

    @property
    def output(self):
        if not self.outputs:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output yet: it is built on its "
                                 "first call.")
        return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)

    @property
    def input_shape(self):
        return self.input.shape

    @property
    def output_shape(self):
        out = self.output
        return out.shape if isinstance(out, KerasTensor) else [t.shape for t in out]

    # -- config --------------------------------------------------------------------------
    def get_config(self):
        from ..saving.serialization import serialize_keras_object
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers += [serialize_keras_object(layer) for layer in self._stack]
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .. import layers as layers_module
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            model.add(layers_module.deserialize(entry, custom_objects=custom_objects))
        return model
