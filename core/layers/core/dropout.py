"""Dropout: in training, zero a fraction `rate` of the inputs and scale the
rest by 1 / (1 - rate); at inference, pass the inputs through."""

import numbers

import kbackend as K

from ...utils.random_seed import draw_seed
from ..layer import Layer
from .legacy_kwargs import renamed_kwargs


class Dropout(Layer):
    @renamed_kwargs(p="rate")
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a float in [0, 1) (the fraction of inputs to drop); "
                             f"got rate={rate!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"Dropout: seed must be an int or None; got {type(seed).__name__}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        if self.rate > 0:
            # seed=None draws from the host generator, so set_random_seed makes the masks repeat
            self.seed_generator = K.SeedGenerator(draw_seed() if seed is None else seed,
                                                  name=f"{self.name}_seed_generator")
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        return K.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs), seed=self.seed_generator)

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = K.shape(inputs)
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"Layer '{self.name}' (Dropout): noise_shape {self.noise_shape} needs one entry per "
                             f"input axis, but the input has shape {tuple(K.int_shape(inputs))}.")
        return tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                       "seed": self.seed})
        return config
