"""Which engine runtime serves the distribution API, and `list_devices`."""

import importlib

import kbackend as K

# engines with a `distribution` module driving their own distributed runtime; numpy has one device only
MULTI_DEVICE_ENGINES = "jax, torch, tensorflow"


def runtime():
    """The active engine's `distribution` module (kbackend_jax.distribution, ...),
    or None for an engine without one (numpy: one device)."""
    name = K.engine().__name__ + ".distribution"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:  # the module exists but something it needs is missing
            raise
        return None


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
