"""core.models: Model, Sequential and functional models."""

from .functional import Functional
from .model import Model
from .sequential import Sequential
from ..saving.json_yaml import model_from_json, model_from_yaml
from ..saving.model_io import load_model, save_model
