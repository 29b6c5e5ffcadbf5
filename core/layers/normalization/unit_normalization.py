"""UnitNormalization: scale each example to unit L2 norm over `axis`."""

import kbackend as K

from ..layer import Layer
from .arguments import check_axis_arg, resolve_axes

_MIN_SQUARED_NORM = 1e-12  # an all-zero slice stays zero instead of becoming NaN


class UnitNormalization(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_axis_arg("UnitNormalization", axis, allow_list=True)
        self.supports_masking = True

    def call(self, inputs):
        axes = tuple(resolve_axes(self.name, self.axis, K.ndim(inputs)))
        squared_norm = K.sum(K.square(inputs), axis=axes, keepdims=True)
        return K.divide(inputs, K.sqrt(K.maximum(squared_norm, _MIN_SQUARED_NORM)))

    def compute_output_shape(self, input_shape):
        resolve_axes(self.name, self.axis, len(input_shape))  # a bad axis fails on symbolic inputs too
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
