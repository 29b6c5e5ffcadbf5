"""core.layers.activations: activation functions as layers."""

from .elu import ELU
from .leaky_relu import LeakyReLU
from .prelu import PReLU
from .relu import ReLU
from .softmax import Softmax
from .thresholded_relu import ThresholdedReLU

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU"]
