"""Flatten: (batch, d1, ..., dn) -> (batch, d1 * ... * dn), in channels-last order."""

import math

import kbackend as K

from ..input_spec import InputSpec
from ..layer import Layer


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = K.config.normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        rank = K.ndim(inputs)
        if self.data_format == "channels_first" and rank > 2:
            # channels moved last first, so the flat order (and a following Dense's
            # kernel) is the same whatever the data format
            inputs = K.transpose(inputs, (0, *range(2, rank), 1))
        size = self.compute_output_shape(K.int_shape(inputs))[1]
        return K.reshape(inputs, (K.shape(inputs)[0], -1 if size is None else size))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        size = None if None in rest else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
