"""Masking: marks time steps whose features all equal mask_value as padding.

Output: the input with those steps zeroed; mask: any(x != mask_value) over
the last axis, for the layers downstream (RNNs, losses) to skip them.
"""

import kbackend as K

from ..layer import Layer


class Masking(Layer):
    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs, keepdims=False):
        return K.any(K.not_equal(inputs, self.mask_value), axis=-1, keepdims=keepdims)

    def call(self, inputs):
        return K.multiply(inputs, K.cast(self._keep(inputs, keepdims=True), K.dtype(inputs)))

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
