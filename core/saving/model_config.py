"""A whole model as one JSON-able dict, in the shape Keras 3 writes to
config.json: the serialized model plus `build_config` (how to create its
weights) and `compile_config` (how to compile it again), and back."""

from . import registration
from .keras_compat import strip_keras_defaults
from .serialization import deserialize_keras_object, serialize_keras_object


def build_input_shape(model):
    from ..models.functional import Functional
    if isinstance(model, Functional):
        return None  # the graph itself says how to build
    inputs = getattr(model, "inputs", None)
    if inputs:
        shapes = [list(t.shape) for t in inputs]
        return shapes[0] if len(shapes) == 1 else shapes
    shape = getattr(model, "_build_input_shape", None)
    return None if shape is None else _lists(shape)


def _lists(value):
    return [_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def compile_config(model):
    if not getattr(model, "compiled", False):
        return {}
    return {"optimizer": serialize_keras_object(model.optimizer),
            "loss": serialize_keras_object(model._loss_spec),
            "loss_weights": serialize_keras_object(model._loss_weights),
            "metrics": serialize_keras_object(model._metric_specs),
            "weighted_metrics": serialize_keras_object(model._weighted_metric_specs),
            "run_eagerly": model.run_eagerly, "steps_per_execution": model.steps_per_execution,
            "jit_compile": model.jit_compile}


def serialize_model(model):
    return serialize_keras_object(model)


def model_to_config(model):
    config = serialize_model(model)
    config["build_config"] = {"input_shape": build_input_shape(model)}
    config["compile_config"] = compile_config(model)
    return config


def _model_objects():
    from .. import layers, models
    objects = {name: getattr(models, name) for name in ("Model", "Sequential", "Functional")}
    return {**layers._objects(), **objects}


def model_from_config(config, custom_objects=None, compile=True):
    """Rebuild (and build, and compile when asked) a model from model_to_config's dict
    or Keras 2's {"class_name", "config"}."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("A model config must be a dict with 'class_name' and 'config' (as written by "
                         f"model.to_json() or in a .keras file's config.json); got {str(config)[:200]}.")
    if config["class_name"] == "Model" and "layers" in config.get("config", {}):
        config = {**config, "class_name": "Functional"}  # Keras 2 wrote functional models as "Model"
    if config["class_name"] == "Sequential" and isinstance(config.get("config"), list):
        config = {**config, "config": {"layers": config["config"]}}  # Keras 2.0-2.2: a bare list of layers
    config = strip_keras_defaults(config)
    with registration.custom_object_scope(custom_objects or {}):
        model = deserialize_keras_object(config, _model_objects(), None, kind="model")
        shape = (config.get("build_config") or {}).get("input_shape")
        if not model.built and shape is not None:
            model.build(tuple(shape) if shape and not isinstance(shape[0], list) else [tuple(s) for s in shape])
        if compile and config.get("compile_config"):
            compile_from_config(model, config["compile_config"])
    return model


def compile_from_config(model, config):
    from .. import losses, metrics, optimizers
    optimizer = config.get("optimizer")
    model.compile(optimizer=optimizers.deserialize(optimizer) if optimizer is not None else "rmsprop",
                  loss=_specs(config.get("loss"), losses.deserialize),
                  loss_weights=config.get("loss_weights"),
                  metrics=_specs(config.get("metrics"), metrics.deserialize),
                  weighted_metrics=_specs(config.get("weighted_metrics"), metrics.deserialize),
                  run_eagerly=bool(config.get("run_eagerly", False)),
                  steps_per_execution=int(config.get("steps_per_execution") or 1),
                  jit_compile=config.get("jit_compile", "auto"))
    if model.built:  # so that a saved optimizer state has variables to go into
        model.optimizer.build(model.trainable_variables)


def _specs(value, deserialize):
    """Losses/metrics as written: names stay names (compile resolves them by
    the output's shape, e.g. "accuracy"); configs become objects; lists and
    dicts by output name keep their shape."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and "class_name" in value:
        return deserialize(value)
    if isinstance(value, dict):
        return {k: _specs(v, deserialize) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_specs(v, deserialize) for v in value]
    return value
