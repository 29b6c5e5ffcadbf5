"""Saving and rebuilding objects (files come in a later issue)."""

from .registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                           get_registered_name, get_registered_object, register_keras_serializable)
from .serialization import deserialize_keras_object, serialize_keras_object
