"""core.layers.regularization: noise layers active in training only (Dropout
itself lives with the core layers and is re-exported here, as in Keras)."""

from ..core.dropout import Dropout
from .alpha_dropout import AlphaDropout
from .gaussian_dropout import GaussianDropout
from .gaussian_noise import GaussianNoise
from .spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D

__all__ = ["AlphaDropout", "Dropout", "GaussianDropout", "GaussianNoise", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D"]

