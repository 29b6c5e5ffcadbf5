"""GaussianDropout: in training, multiply the inputs by normal noise of mean 1
and variance rate / (1 - rate) (the variance of Dropout's 0-or-1/(1-rate)
mask, without its zeros); at inference, pass the inputs through."""

import math

import kbackend as K

from ..core.legacy_kwargs import renamed_kwargs
from ..layer import Layer
from .arguments import check_rate, seed_generator


class GaussianDropout(Layer):
    @renamed_kwargs(p="rate")
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("GaussianDropout", rate)
        self.seed = seed
        self.seed_generator = seed_generator("GaussianDropout", self.name, seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = K.random_normal(K.shape(inputs), mean=1.0, stddev=stddev, dtype=K.dtype(inputs),
                                seed=self.seed_generator)
        return K.multiply(inputs, noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
