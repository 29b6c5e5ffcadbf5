"""ThresholdedReLU (Keras 2): x where x > theta, 0 elsewhere."""

import kbackend as K

from ..layer import Layer
from .arguments import check_non_negative


class ThresholdedReLU(Layer):
    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = check_non_negative("ThresholdedReLU", "theta", theta)
        self.supports_masking = True

    def call(self, inputs):
        return K.multiply(inputs, K.cast(K.greater(inputs, self.theta), K.dtype(inputs)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["theta"] = self.theta
        return config
