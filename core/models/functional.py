"""Functional models: a graph of layer calls recorded on symbolic tensors,
from `Model(inputs, outputs)`, replayed on real tensors when called."""

from kbackend import tree

from ..engine import masks
from ..engine.keras_tensor import KerasTensor
from ..layers.layer import probe_output_spec
from .model import Model


def _flat(structure):
    return tree.flatten(structure)[0]


def _check_tensors(structure, what):
    for t in _flat(structure):
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Model {what} must be symbolic tensors (from core.Input or layer calls on them); "
                            f"got {type(t).__name__}.")
        if t._keras_history is None:
            raise ValueError(f"Model {what} tensor {t.name} was not produced by a layer.")


def _graph(inputs, outputs):
    """The nodes between inputs and outputs in execution order, and the
    layers in Keras's order (inputs first, then by depth, then call order)."""
    input_ids = {id(t) for t in inputs}
    order, state = [], {}

    def visit(node, path):
        key = id(node)
        if state.get(key) == "done":
            return
        if state.get(key) == "active":
            raise ValueError("The layer graph has a cycle.")
        state[key] = "active"
        for t in node.input_tensors:
            if id(t) in input_ids:
                continue
            layer, index, _ = t._keras_history
            parent = layer._inbound_nodes[index]
            if parent.is_input:
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for tensor {t.name} (input of layer "
                    f"'{node.layer.name}'): it comes from Input '{layer.name}', which is not among the model's "
                    "inputs. Pass it in `inputs`.")
            visit(parent, path)
        state[key] = "done"
        order.append(node)

    for t in outputs:
        if id(t) in input_ids:
            continue
        layer, index, _ = t._keras_history
        visit(layer._inbound_nodes[index], [])
    return [n for n in order if not n.is_input]


class Functional(Model):
    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        _check_tensors(inputs, "inputs")
        _check_tensors(outputs, "outputs")
        if isinstance(inputs, dict) and not all(isinstance(k, str) for k in inputs):
            raise TypeError("Model inputs given as a dict need string keys.")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = _flat(inputs)
        self.outputs = _flat(outputs)
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError("The same Input tensor appears more than once in the model's inputs.")
        self._nodes = _graph(self.inputs, self.outputs)
        input_layers = [t._keras_history[0] for t in self.inputs]
        layers = list(input_layers)
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self._graph_layers = layers
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"All layers in a model need unique names; {duplicates} appear more than once.")
        self.input_names = [layer.name for layer in input_layers]
        self.output_names = [t._keras_history[0].name for t in self.outputs]
        if isinstance(outputs, dict):
            self.output_names = sorted(outputs)
        self.built = True

    # -- structure ---------------------------------------------------------------
    def _tracked_layers(self):
        return list(self._graph_layers)

    @property
    def layers(self):
        return list(self._graph_layers)

    @property
    def input(self):
        return self._inputs_struct if not isinstance(self._inputs_struct, (list, tuple)) or \
            len(self.inputs) != 1 else self.inputs[0]

    @property
    def output(self):
        return self._outputs_struct if not isinstance(self._outputs_struct, (list, tuple)) or \
            len(self.outputs) != 1 else self.outputs[0]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def build(self, input_shape):
        self.built = True

    # -- running -----------------------------------------------------------------
    def _standardize_inputs(self, inputs):
        """The user's inputs in the order of self.inputs."""
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = sorted(self._inputs_struct)
            else:
                keys = self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' is missing input(s) {missing}; it expects {keys}, got "
                                 f"{sorted(inputs)}.")
            return [inputs[k] for k in keys]
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), but it received "
                             f"{len(flat)} input tensors.")
        return flat

    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        in_masks = [None] * len(flat)
        if mask is not None:
            in_masks = mask if isinstance(mask, (list, tuple)) else [mask]
        values = {}
        for t, x, m in zip(self.inputs, flat, in_masks):
            values[id(t)] = x
            if m is not None:
                masks.set_mask(x, m)
        for node in self._nodes:
            args, kwargs = tree.map_structure(
                lambda a: values[id(a)] if isinstance(a, KerasTensor) else a, (node.call_args, node.call_kwargs))
            if training is not None and node.layer._call_accepts("training") and "training" not in kwargs:
                kwargs["training"] = training
            outputs = node.layer(*args, **kwargs)
            for t, value in zip(node.output_tensors, _flat(outputs)):
                values[id(t)] = value
        return tree.unflatten(tree.flatten(self._outputs_struct)[1], [values[id(t)] for t in self.outputs])

    def compute_output_spec(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        if all(len(x.shape) == len(t.shape) and all(a is None or b is None or a == b
               for a, b in zip(x.shape[1:], t.shape[1:])) for x, t in zip(flat, self.inputs)):
            # same shapes as the graph was built on: its recorded output shapes hold
            batch = flat[0].shape[0] if flat and flat[0].shape else None
            return tree.map_structure(lambda t: KerasTensor((batch,) + t.shape[1:], t.dtype), self._outputs_struct)
        return probe_output_spec(self.call, (inputs,), {"training": training})

    # -- config ------------------------------------------------------------------
    def get_config(self):
        from .functional_config import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .functional_config import functional_from_config
        return functional_from_config(cls, config, custom_objects)

