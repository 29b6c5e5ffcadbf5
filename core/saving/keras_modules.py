"""Module names in saved configs: this library's public namespaces are written
under Keras's names (core.layers -> keras.layers), so Keras 3 can resolve the
classes in a file written here. Loading here never uses the module (classes are
found by name), so files from either side load."""

_MODELS = {"Functional": "keras.src.models.functional", "Sequential": "keras", "Model": "keras"}


def to_keras_modules(value):
    if isinstance(value, list):
        return [to_keras_modules(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: to_keras_modules(v) for k, v in value.items()}
    module = out.get("module")
    if isinstance(module, str) and (module == "core" or module.startswith("core.")):
        if out.get("class_name") in _MODELS and module.startswith("core.models"):
            out["module"] = _MODELS[out["class_name"]]
        else:
            out["module"] = "keras" + module[len("core"):]
        if out.get("registered_name") == out.get("class_name"):
            out["registered_name"] = None  # Keras writes null for its own classes
    return out
