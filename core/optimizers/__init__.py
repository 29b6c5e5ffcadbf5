"""Optimizers: the Optimizer base class, the Keras optimizers, learning rate
schedules, and get / serialize / deserialize. Names are looked up in any case
("adam", "Adam", "ADAM"), as Keras does."""

from core.saving import registration
from core.saving.serialization import Namespace

from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .ftrl import Ftrl
from .lion import Lion
from .nadam import Nadam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

_CLASSES = (SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Ftrl, Lion)
_BY_LOWER_NAME = {cls.__name__.lower(): cls.__name__ for cls in _CLASSES}
_namespace = Namespace("optimizer", {cls.__name__: cls for cls in _CLASSES})


def _canonical(name, custom_objects):
    """Our class name for any spelling of it, unless a user object has that exact name."""
    if registration.get_registered_object(name, custom_objects) is not None:
        return name
    return _BY_LOWER_NAME.get(name.lower(), name)


def serialize(optimizer):
    return _namespace.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from a name or a config dict. custom_objects also reach
    nested objects (a custom learning-rate schedule inside the config)."""
    if isinstance(config, str):
        name = _canonical(config, custom_objects)
        if registration.get_registered_object(name, custom_objects, _namespace.objects) is None:
            raise ValueError(f"Unknown optimizer: '{config}'. Use one of {sorted(_BY_LOWER_NAME)} (any case), or "
                             "register your own class with @core.saving.register_keras_serializable() or pass "
                             "custom_objects.")
        config = name
    elif isinstance(config, dict) and isinstance(config.get("class_name"), str):
        config = {**config, "class_name": _canonical(config["class_name"], custom_objects)}
    with registration.custom_object_scope(custom_objects or {}):
        return _namespace.deserialize(config, custom_objects)


def get(identifier):
    """An optimizer from an instance (returned as is), a name or a config dict."""
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if not isinstance(identifier, (str, dict)):
        raise TypeError(f"Could not interpret optimizer identifier: {identifier!r}. Pass an optimizer instance, "
                         "a name such as 'adam', or a config dict.")
    optimizer = deserialize(identifier)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"Optimizer identifier {identifier!r} gave a {type(optimizer).__name__}, not an Optimizer.")
    return optimizer
