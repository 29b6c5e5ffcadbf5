"""GaussianNoise: in training, add zero-mean normal noise of standard
deviation `stddev`; at inference, pass the inputs through."""

import numbers

import kbackend as K

from ..core.legacy_kwargs import renamed_kwargs
from ..layer import Layer
from .arguments import seed_generator


class GaussianNoise(Layer):
    @renamed_kwargs(sigma="stddev")
    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a non-negative float (the noise's standard "
                             f"deviation); got stddev={stddev!r}.")
        self.stddev = float(stddev)
        self.seed = seed
        self.seed_generator = seed_generator("GaussianNoise", self.name, seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = K.random_normal(K.shape(inputs), mean=0.0, stddev=self.stddev, dtype=K.dtype(inputs),
                                seed=self.seed_generator)
        return K.add(inputs, noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
