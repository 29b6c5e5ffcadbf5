"""core.layers."""

from ..saving.registration import custom_object_scope
from ..saving.serialization import Namespace, serialize_keras_object
from .core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
# the layer families: each package lists its public names in __all__
from .activations import *  # noqa: F401,F403,E402
from .attention import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .merging import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .input_layer import Input, InputLayer
from .input_spec import InputSpec
from .layer import Layer


def _objects():
    """Every Layer class this module exports (looked up at call time, so layers
    added to the module later are included), plus the model classes, which
    nest in model configs."""
    objects = {name: obj for name, obj in globals().items() if isinstance(obj, type) and issubclass(obj, Layer)}
    objects["Input"] = InputLayer  # the class behind the Input() function
    try:
        from .. import models
    except ImportError:  # models not importable (yet): layers still work alone
        return objects
    for name in ("Model", "Sequential", "Functional"):
        if isinstance(getattr(models, name, None), type):
            objects.setdefault(name, getattr(models, name))
    return objects


def serialize(layer):
    """A layer's config in Keras 3's shape: {"module", "class_name", "config", "registered_name"}."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A layer from its config dict (Keras 3 or Keras 2 shape). custom_objects are
    also visible to what the layer rebuilds inside (activations, Lambda functions)."""
    with custom_object_scope(custom_objects or {}):
        return Namespace("layer", _objects()).deserialize(config, custom_objects)


def get(identifier):
    """A layer from a config dict, a class name (no-argument layers only) or an instance."""
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    return Namespace("layer", _objects()).get(identifier)
