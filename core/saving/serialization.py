"""Objects to JSON-able configs and back, and the get/serialize/deserialize
triple every namespace (activations, losses, optimizers, ...) offers.

A serialized object is a dict in Keras 3's shape:
    {"module": ..., "class_name": ..., "config": {...}, "registered_name": ...}
A plain function serializes to its name. Deserializing accepts that dict,
Keras 2's {"class_name", "config"}, or a bare name.
"""

import inspect

from . import registration


def serialize_keras_object(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return registration.get_registered_name(obj)
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = registration._NAMES.get(id(cls))
        return {"module": _public_module(cls), "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": registered or cls.__name__}
    raise TypeError(f"Cannot serialize {obj!r}: it is neither a function nor an object with get_config().")


def _public_module(cls):
    """core.layers.core.dense -> core.layers (Keras 3 writes the public namespace)."""
    parts = cls.__module__.split(".")
    if parts[0] != "core":
        return cls.__module__
    depth = 3 if parts[1:3] == ["optimizers", "schedules"] else 2
    return ".".join(parts[:depth])


def deserialize_keras_object(config, module_objects=None, custom_objects=None, kind="object"):
    """Rebuild from a name or a config dict. kind names the namespace in errors."""
    if config is None:
        return None
    if isinstance(config, str):
        obj = _find(config, None, module_objects, custom_objects, kind)
        return obj() if isinstance(obj, type) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot build a {kind} from {config!r}: expected a name or a dict with "
                         "'class_name' and 'config'.")
    if config["class_name"] in ("function", "__lambda__") and isinstance(config.get("config"), str):
        # Keras 3 writes a named function as {"class_name": "function", "config": name}
        return _find(config["config"], config.get("registered_name"), module_objects, custom_objects, kind)
    obj = _find(config["class_name"], config.get("registered_name"), module_objects, custom_objects, kind)
    inner = config.get("config", {})
    if not isinstance(obj, type):  # a registered function
        return obj
    if hasattr(obj, "from_config"):
        return obj.from_config(inner)
    return obj(**inner)


def _find(name, registered_name, module_objects, custom_objects, kind):
    for candidate in (registered_name, name):
        if candidate:
            obj = registration.get_registered_object(candidate, custom_objects, module_objects)
            if obj is not None:
                return obj
    raise ValueError(
        f"Unknown {kind}: '{name}'. If it is your own, register it with "
        f"@core.saving.register_keras_serializable() or pass custom_objects={{'{name}': {name}}}.")


class Namespace:
    """get / serialize / deserialize over a namespace's objects.

    objects: name -> class or function (aliases included). Classes are
    instantiated from a name ("adam" -> Adam()); functions are returned.
    """

    def __init__(self, kind, objects):
        self.kind = kind
        self.objects = objects

    def serialize(self, obj):
        return serialize_keras_object(obj)

    def deserialize(self, config, custom_objects=None):
        return deserialize_keras_object(config, self.objects, custom_objects, self.kind)

    def get(self, identifier):
        if identifier is None:
            return None
        if isinstance(identifier, (str, dict)):
            return self.deserialize(identifier)
        if isinstance(identifier, type) and hasattr(identifier, "get_config"):
            return identifier()
        if callable(identifier) or hasattr(identifier, "get_config"):
            return identifier
        raise ValueError(f"Could not interpret {self.kind} identifier: {identifier!r}.")
