"""ReLU: x between threshold and max_value, max_value above it,
negative_slope * (x - threshold) below threshold."""

from ... import activations
from ..layer import Layer
from .arguments import check_non_negative


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = check_non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = check_non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = check_non_negative("ReLU", "threshold", threshold)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config
