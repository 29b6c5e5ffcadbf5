"""Keras 3 writes some config keys for features this library does not have
(quantization, LoRA, optional inputs, ...). When such a key holds Keras's
default (the feature is off) it says nothing, so it is dropped before the
layer is rebuilt; a non-default value stays and the layer reports it."""

_DEFAULTS = {
    "optional": False, "ragged": False, "quantization_config": None, "lora_rank": None, "lora_alpha": None,
    "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
    "input_axes": None, "output_axes": None,
}


def strip_keras_defaults(value):
    if isinstance(value, list):
        return [strip_keras_defaults(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: strip_keras_defaults(v) for k, v in value.items()}
    inner = out.get("config")
    if "class_name" in out and isinstance(inner, dict):
        out["config"] = {k: v for k, v in inner.items() if not (k in _DEFAULTS and _same(v, _DEFAULTS[k]))}
    return out


def _same(a, b):
    return type(a) is type(b) and a == b
