"""core.activations: activation functions and get/serialize/deserialize."""

from core.saving import registration
from core.saving.serialization import Namespace, serialize_keras_object

from .activations import (
    elu,
    exponential,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    linear,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)

_FUNCTIONS = (relu, leaky_relu, relu6, elu, selu, gelu, silu, softplus, softsign, sigmoid, hard_sigmoid, hard_silu,
              tanh, exponential, linear, mish, softmax, log_softmax)
ALL_OBJECTS = {**{f.__name__: f for f in _FUNCTIONS}, "swish": swish, "hard_swish": hard_swish}

_namespace = Namespace("activation", ALL_OBJECTS)


def serialize(activation):
    """The name of an activation function (a callable object gives its config dict)."""
    if callable(activation) and not hasattr(activation, "get_config"):
        return registration.get_registered_name(activation)
    return serialize_keras_object(activation)


def deserialize(name, custom_objects=None):
    """The activation called name (or described by a config dict)."""
    if isinstance(name, dict) and name.get("class_name") == "function":  # how Keras 3 files record a function
        name = name.get("config")
    if isinstance(name, str) and registration.get_registered_object(name, custom_objects, ALL_OBJECTS) is None:
        raise ValueError(f"Unknown activation: {name!r}. Known activations include 'relu', 'sigmoid', 'tanh', "
                         "'softmax', 'gelu', 'silu', 'linear' (see core.activations.ALL_OBJECTS). For your own "
                         "function, pass it as a callable or register it with "
                         "@core.saving.register_keras_serializable().")
    return _namespace.deserialize(name, custom_objects)


def get(identifier):
    """An activation from None (linear), a name, a config dict or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. Pass a name such as "
                    "'relu', a config dict or a callable.")
