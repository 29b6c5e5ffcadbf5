"""The core layers (also importable as `core.layers.core`, Keras 2's module path)."""

from .activation import Activation
from .activity_regularization import ActivityRegularization
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten
from .identity import Identity
from .lambda_layer import Lambda
from .masking import Masking
from .permute import Permute
from .repeat_vector import RepeatVector
from .reshape import Reshape

__all__ = ["Activation", "ActivityRegularization", "Dense", "Dropout", "Embedding", "Flatten", "Identity", "Lambda",
           "Masking", "Permute", "RepeatVector", "Reshape"]
