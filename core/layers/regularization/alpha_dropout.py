"""AlphaDropout: dropout for self-normalizing (SELU) networks.

In training, dropped entries are set to SELU's negative saturation value
alpha' = -scale * alpha rather than 0, then everything goes through the affine
map a * x + b chosen (Klambauer et al., 2017) so that inputs of mean 0 and
variance 1 keep mean 0 and variance 1:
    a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5,   b = -a * alpha' * rate.
At inference the inputs pass through.
"""

import kbackend as K

from ..layer import Layer
from .arguments import check_rate, seed_generator

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805
_SATURATION = -_SELU_ALPHA * _SELU_SCALE


class AlphaDropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = seed_generator("AlphaDropout", self.name, seed)
        self.supports_masking = True

    def _mask_shape(self, inputs):
        shape = K.shape(inputs)
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"Layer '{self.name}' (AlphaDropout): noise_shape {self.noise_shape} needs one entry per "
                             f"input axis, but the input has shape {tuple(K.int_shape(inputs))}.")
        return tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        dtype = K.dtype(inputs)
        kept = K.cast(K.greater_equal(K.random_uniform(self._mask_shape(inputs), dtype=dtype,
                                                       seed=self.seed_generator), self.rate), dtype)
        a = ((1.0 - self.rate) * (1.0 + self.rate * _SATURATION ** 2)) ** -0.5
        b = -a * _SATURATION * self.rate
        dropped = K.add(K.multiply(inputs, kept), K.multiply(K.subtract(1.0, kept), _SATURATION))
        return K.add(K.multiply(dropped, a), b)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                       "seed": self.seed})
        return config
