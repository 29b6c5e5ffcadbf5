"""Which engine runtime serves the distribution API, and `list_devices`."""

import importlib

import kbackend as K

# engines whose own distributed runtime we drive; numpy has one device only
_RUNTIMES = {"jax": "jax_runtime", "torch": "torch_runtime", "tensorflow": "tf_runtime"}
MULTI_DEVICE_ENGINES = "jax, torch, tensorflow"


def runtime():
    """The engine-specific module (jax_runtime, ...), or None for numpy."""
    name = _RUNTIMES.get(K.backend())
    if name is None:
        return None
    return importlib.import_module(f"{__package__}.{name}")


def single_device_error(what):
    return ValueError(
        f"{what}: the '{K.backend()}' engine runs on one device only. Multi-device training needs an engine with "
        f"a distributed runtime ({MULTI_DEVICE_ENGINES}); set KERAS_BACKEND to one of them.")


def list_devices(device_type=None):
    """Names ("cpu:0", "gpu:1", ...) of the devices the engine can use, of one
    type ("cpu", "gpu", "tpu") or of the default one when device_type is None."""
    if device_type is not None:
        device_type = str(device_type).lower()
        if device_type not in ("cpu", "gpu", "tpu"):
            raise ValueError(f'list_devices: device_type must be "cpu", "gpu", "tpu" or None; got {device_type!r}.')
    rt = runtime()
    if rt is None:
        if device_type not in (None, "cpu"):
            raise single_device_error(f"list_devices(device_type={device_type!r})")
        return ["cpu:0"]
    return rt.list_devices(device_type)
