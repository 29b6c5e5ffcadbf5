"""Argument checks shared by the core layers."""

import numbers


def check_not_quantized(owner, lora_rank, lora_alpha, quantization_config):
    """Keras 3 files may carry these keys (None); other values need features this library lacks."""
    if lora_rank is not None or lora_alpha is not None:
        raise NotImplementedError(f"{owner}: LoRA (lora_rank/lora_alpha) is not supported; leave them None.")
    if quantization_config is not None:
        raise NotImplementedError(f"{owner}: quantized layers (quantization_config) are not supported.")


def check_positive_int(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer; got {name}={value!r}.")
    return int(value)
