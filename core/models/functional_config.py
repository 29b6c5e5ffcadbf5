"""A functional model's graph as a JSON-able config (Keras 3's layout) and back.

Each layer entry lists its `inbound_nodes`; a tensor in a node's arguments is
{"class_name": "__keras_tensor__", "config": {"shape", "dtype",
"keras_history": [layer name, node index, tensor index]}}, with node indices
counted among the calls that belong to this model.
"""

from kbackend import tree

from ..engine.keras_tensor import KerasTensor
from ..saving.serialization import serialize_keras_object


def _model_node_index(layer, node, model_nodes):
    """The index of node among layer's nodes that are part of the model."""
    own = [n for n in layer._inbound_nodes if id(n) in model_nodes]
    return own.index(node)


def functional_config(model):
    model_nodes = {id(n) for n in model._nodes}
    for t in model.inputs:
        model_nodes.add(id(t._keras_history[0]._inbound_nodes[t._keras_history[1]]))

    def history(t):
        layer, index, tensor_index = t._keras_history
        return [layer.name, _model_node_index(layer, layer._inbound_nodes[index], model_nodes), tensor_index]

    def encode(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.shape), "dtype": value.dtype, "keras_history": history(value)}}
        return value

    layers = []
    for layer in model.layers:
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        nodes = [n for n in layer._inbound_nodes if id(n) in model_nodes and not n.is_input]
        entry["inbound_nodes"] = [{"args": tree.map_structure(encode, list(n.call_args)),
                                   "kwargs": tree.map_structure(encode, dict(n.call_kwargs))} for n in nodes]
        if nodes:
            entry["build_config"] = {"input_shape": _shape_list(nodes[0].input_tensors)}
        layers.append(entry)

    def endpoints(structure):
        if isinstance(structure, dict):
            return {k: history(v) for k, v in structure.items()}
        flat = tree.flatten(structure)[0]
        return [history(t) for t in flat]

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": endpoints(model._inputs_struct), "output_layers": endpoints(model._outputs_struct)}


def _shape_list(tensors):
    shapes = [list(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def _is_tensor_ref(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def functional_from_config(cls, config, custom_objects=None):
    from .. import layers as layers_module
    created = {}  # layer name -> layer
    produced = {}  # (layer name, node index, tensor index) -> KerasTensor
    pending = []
    for entry in config["layers"]:
        layer = layers_module.deserialize(entry, custom_objects=custom_objects)
        name = entry.get("name", layer.name)
        created[name] = layer
        if not entry.get("inbound_nodes"):
            if hasattr(layer, "output_tensor"):  # an InputLayer
                produced[(name, 0, 0)] = layer.output_tensor
            continue
        for node_data in entry["inbound_nodes"]:
            pending.append((name, layer, _normalize_node(node_data)))
    node_counts = {}

    def decode(value):
        return produced[value.key] if isinstance(value, _Ref) else value

    while pending:
        progressed = False
        for item in list(pending):
            name, layer, (args, kwargs) = item
            if not _refs_ready((args, kwargs), produced):
                continue
            args, kwargs = tree.map_structure(decode, (args, kwargs))
            outputs = layer(*args, **kwargs)
            index = node_counts.get(name, 0)
            node_counts[name] = index + 1
            for i, t in enumerate(tree.flatten(outputs)[0]):
                produced[(name, index, i)] = t
            pending.remove(item)
            progressed = True
        if not progressed:
            names = sorted({name for name, _, _ in pending})
            raise ValueError(f"Cannot rebuild the model: the inputs of layer(s) {names} are never produced. "
                             "The config's graph is inconsistent.")

    def endpoint(ref):
        key = (ref[0], ref[1], ref[2])
        if key not in produced:
            raise ValueError(f"The config names an input/output {list(ref)} that no layer produces.")
        return produced[key]

    def endpoints(spec):
        if isinstance(spec, dict):
            return {k: endpoint(v) for k, v in spec.items()}
        if spec and not isinstance(spec[0], (list, tuple)):
            return endpoint(spec)
        found = [endpoint(r) for r in spec]
        return found[0] if len(found) == 1 else found  # one tensor is written as a list of one

    inputs, outputs = endpoints(config["input_layers"]), endpoints(config["output_layers"])
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=config.get("trainable", True))


class _Ref:
    """A reference to a tensor another layer produces: (layer name, node, tensor)."""

    def __init__(self, history):
        self.key = (history[0], int(history[1]), int(history[2]))


def _normalize_node(node_data):
    """Keras 3 {"args", "kwargs"} or Keras 2 [[name, node, tensor, kwargs], ...]
    -> (args, kwargs) with tensor references as _Ref."""
    def ref(value):
        if _is_tensor_ref(value):
            h = value["config"]["keras_history"]
            return _Ref(h)
        return value
    if isinstance(node_data, dict):
        args = _map_refs(node_data.get("args", []), ref)
        kwargs = _map_refs(node_data.get("kwargs", {}), ref)
        return list(args), dict(kwargs)
    # Keras 2: a list of inbound tensors, each [layer_name, node_index, tensor_index, kwargs]
    tensors = [_Ref(item) for item in node_data]
    kwargs = node_data[0][3] if node_data and len(node_data[0]) > 3 and isinstance(node_data[0][3], dict) else {}
    return [tensors[0] if len(tensors) == 1 else tensors], dict(kwargs)


def _map_refs(value, ref):
    if _is_tensor_ref(value):
        return ref(value)
    if isinstance(value, list):
        return [_map_refs(v, ref) for v in value]
    if isinstance(value, dict):
        return {k: _map_refs(v, ref) for k, v in value.items()}
    return value


def _refs_ready(structure, produced):
    found = []

    def walk(v):
        if isinstance(v, _Ref):
            found.append(v.key)
        elif isinstance(v, (list, tuple)):
            for c in v:
                walk(c)
        elif isinstance(v, dict):
            for c in v.values():
                walk(c)
    walk(structure)
    return all(key in produced for key in found)
