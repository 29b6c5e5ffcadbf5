"""LeakyReLU: x for x >= 0, negative_slope * x below (Keras 2 called the
slope `alpha`)."""

from ... import activations
from ..core.legacy_kwargs import renamed_kwargs
from ..layer import Layer
from .arguments import check_non_negative


class LeakyReLU(Layer):
    @renamed_kwargs(alpha="negative_slope")
    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = check_non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.supports_masking = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
