"""Saving and rebuilding: configs (serialize/deserialize, registration) and
files (.keras, .weights.h5, Keras 2 .h5, JSON, YAML)."""

from .json_yaml import model_from_json, model_from_yaml, model_to_json, model_to_yaml
from .model_io import load_model, load_weights, save_model, save_weights
from .registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                           get_registered_name, get_registered_object, register_keras_serializable)
from .serialization import deserialize_keras_object, serialize_keras_object
