"""A model's architecture (no weights) as JSON or YAML text, and back.
YAML is read with yaml.safe_load only: a YAML file cannot construct objects."""

import json

from .keras_modules import to_keras_modules
from .model_config import model_from_config, model_to_config


def model_to_json(model, **kwargs):
    return json.dumps(to_keras_modules(model_to_config(model)), **kwargs)


def model_from_json(json_string, custom_objects=None):
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json needs the text that model.to_json() returns; it is not valid JSON "
                         f"({e}).") from None
    return model_from_config(config, custom_objects, compile=False)


def model_to_yaml(model, **kwargs):
    yaml = _yaml()
    return yaml.safe_dump(json.loads(model_to_json(model)), **kwargs)


def model_from_yaml(yaml_string, custom_objects=None):
    yaml = _yaml()
    try:
        config = yaml.safe_load(yaml_string)
    except yaml.YAMLError as e:
        raise ValueError(f"model_from_yaml could not parse the text as (safe) YAML: {e}") from None
    return model_from_config(config, custom_objects, compile=False)


def _yaml():
    try:
        import yaml
    except ImportError:
        raise ImportError("to_yaml / model_from_yaml need the PyYAML package: pip install pyyaml.") from None
    return yaml
