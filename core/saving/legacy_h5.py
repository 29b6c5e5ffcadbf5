"""Keras 2's HDF5 files. A whole-model file has root attributes
`keras_version`, `backend`, `model_config` (JSON {"class_name", "config"}) and
`training_config` (JSON), a `model_weights` group and an `optimizer_weights`
group. A weights group lists its layers in the attribute `layer_names`; each
layer group lists its arrays in `weight_names` ("dense_1/kernel:0"), stored at
those paths. Weights are matched to layers by position (layers that have
weights, in model.layers order) or, with by_name, by layer name."""

import json
import warnings

import numpy as np


KERAS2_VERSION = "2.15.0"  # the Keras 2 file layout this writer follows
# Keras 2 files always said "tensorflow"; weights here are in that layout whatever engine wrote them.
BACKEND = "tensorflow"


def _strings(values):
    return np.array([v.encode("utf8") for v in values], dtype="S") if values else np.zeros((0,), "S1")


def _decode(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def layer_weights(layer):
    """A layer's arrays in Keras 2's order: trainable weights, then the others."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _weight_names(layer, variables):
    names, seen = [], set()
    for var in variables:
        owner = getattr(var, "_layer_name", layer.name)
        base = f"{layer.name}/{var.name}" if owner == layer.name else f"{layer.name}/{owner}/{var.name}"
        name, n = f"{base}:0", 1
        while name in seen:  # two sub-layers may hold equally named variables
            name, n = f"{base}_{n}:0", n + 1
        seen.add(name)
        names.append(name)
    return names


def write_layer_weights(model, group):
    group.attrs["layer_names"] = _strings([layer.name for layer in model.layers])
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = KERAS2_VERSION
    for layer in model.layers:
        g = group.create_group(layer.name)
        variables = layer_weights(layer)
        names = _weight_names(layer, variables)
        g.attrs["weight_names"] = _strings(names)
        for name, var in zip(names, variables):
            g.create_dataset(name, data=np.asarray(var.numpy()))


def write_optimizer_weights(optimizer, group):
    names, seen = [], set()
    for var in optimizer.variables:
        base, name, n = f"{optimizer.name}/{var.name}", None, 0
        name = f"{base}:0"
        while name in seen:
            n += 1
            name = f"{base}_{n}:0"
        seen.add(name)
        names.append(name)
    group.attrs["weight_names"] = _strings(names)
    for name, var in zip(names, optimizer.variables):
        group.create_dataset(name, data=np.asarray(var.numpy()))


def keras2_config(model):
    """{"class_name", "config"} with functional nodes as Keras 2 lists
    [[layer_name, node_index, tensor_index, kwargs], ...]."""
    from .model_config import serialize_model
    config = serialize_model(model)
    inner = dict(config["config"])
    if "input_layers" in inner:
        inner["layers"] = [_keras2_layer(entry) for entry in inner["layers"]]
    return {"class_name": config["class_name"], "config": inner}


def _keras2_layer(entry):
    out = {"class_name": entry["class_name"], "config": entry["config"], "name": entry["name"]}
    nodes = []
    for node in entry.get("inbound_nodes", []):
        refs, kwargs = [], {k: v for k, v in node.get("kwargs", {}).items() if not _is_ref(v)}
        _collect_refs(node.get("args", []), refs)
        nodes.append([[*ref, kwargs] for ref in refs])
    out["inbound_nodes"] = nodes
    return out


def _is_ref(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _collect_refs(value, refs):
    if _is_ref(value):
        refs.append(list(value["config"]["keras_history"]))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect_refs(v, refs)


def training_config(model):
    from .model_config import compile_config
    config = compile_config(model)
    if not config:
        return None
    optimizer = config.pop("optimizer")
    return {"optimizer_config": {"class_name": optimizer["class_name"], "config": optimizer["config"]},
            "loss": config["loss"], "metrics": config["metrics"], "weighted_metrics": config["weighted_metrics"],
            "loss_weights": config["loss_weights"]}


def save_h5_model(model, h5, include_optimizer=True):
    h5.attrs["keras_version"] = KERAS2_VERSION
    h5.attrs["backend"] = BACKEND
    h5.attrs["model_config"] = json.dumps(keras2_config(model))
    train = training_config(model) if include_optimizer else None
    if train is not None:
        h5.attrs["training_config"] = json.dumps(train)
    write_layer_weights(model, h5.create_group("model_weights"))
    if train is not None and model.optimizer.variables:
        write_optimizer_weights(model.optimizer, h5.create_group("optimizer_weights"))


def is_legacy(h5):
    return "layer_names" in h5.attrs or "model_weights" in h5 or "model_config" in h5.attrs


def load_h5_model(h5, custom_objects=None, compile=True, safe_mode=True, source="the file"):
    from ..layers.core.lambda_layer import SafeModeScope
    from .model_config import compile_from_config, model_from_config
    if "model_config" not in h5.attrs:
        raise ValueError(f"{source} holds weights only (no model_config): build the model in code and call "
                         "model.load_weights() on it.")
    config = json.loads(_attr(h5.attrs["model_config"]))
    with SafeModeScope(safe_mode):
        model = model_from_config(config, custom_objects, compile=False)
    load_layer_weights(model, h5["model_weights"], source=source)
    if compile and "training_config" in h5.attrs:
        train = json.loads(_attr(h5.attrs["training_config"]))
        opt = train.get("optimizer_config")
        compile_from_config(model, {"optimizer": opt, "loss": train.get("loss"), "metrics": train.get("metrics"),
                                    "weighted_metrics": train.get("weighted_metrics"),
                                    "loss_weights": train.get("loss_weights")})
        if "optimizer_weights" in h5:
            _load_optimizer(model.optimizer, h5["optimizer_weights"], source)
    return model


def _attr(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _load_optimizer(optimizer, group, source):
    names = _decode(group.attrs.get("weight_names", []))
    values = [group[n][()] for n in names]
    variables = optimizer.variables
    shapes_match = len(values) == len(variables) and all(
        tuple(np.shape(v)) == tuple(var.shape) for v, var in zip(values, variables))
    if not shapes_match:
        warnings.warn(f"Not loading the optimizer state from {source}: the file holds {len(values)} arrays, the "
                      f"optimizer '{optimizer.name}' has {len(variables)} variables of other shapes. Training "
                      "continues with a fresh optimizer state.", stacklevel=3)
        return
    for var, value in zip(variables, values):
        var.assign(value)


def load_layer_weights(model, group, by_name=False, skip_mismatch=False, source="the file"):
    if "layer_names" not in group.attrs:
        raise ValueError(f"{source} is not a Keras 2 weights file: it has no 'layer_names' attribute.")
    saved = {}
    order = []
    for name in _decode(group.attrs["layer_names"]):
        names = _decode(group[name].attrs.get("weight_names", [])) if name in group else []
        saved[name] = [group[name][w][()] for w in names]
        if saved[name]:
            order.append(name)
    layers = [layer for layer in model.layers if layer_weights(layer)]
    if by_name:
        pairs = [(layer, layer.name) for layer in layers if layer.name in saved]
    else:
        if len(order) != len(layers):
            raise ValueError(f"{source} holds weights for {len(order)} layers ({order}), but model '{model.name}' "
                             f"has {len(layers)} layers with weights ({[la.name for la in layers]}). Load with "
                             "by_name=True to match layers by name.")
        pairs = list(zip(layers, order))
    for layer, name in pairs:
        _assign(layer, saved[name], name, skip_mismatch, source)


def _assign(layer, values, saved_name, skip_mismatch, source):
    variables = layer_weights(layer)
    problem = None
    if len(values) != len(variables):
        problem = f"the layer has {len(variables)} weights but {source} holds {len(values)} for '{saved_name}'"
    else:
        for var, value in zip(variables, values):
            if tuple(np.shape(value)) != tuple(var.shape):
                problem = (f"weight '{var.name}' has shape {tuple(var.shape)} in the model but "
                           f"{tuple(np.shape(value))} in {source} (layer '{saved_name}')")
                break
    if problem:
        message = f"Layer '{layer.name}': {problem}."
        if not skip_mismatch:
            raise ValueError(message + " Pass skip_mismatch=True to skip such layers.")
        warnings.warn("Skipping " + message, stacklevel=4)
        return
    for var, value in zip(variables, values):
        var.assign(value)
