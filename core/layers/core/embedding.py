"""Embedding: integer indices -> rows of an (input_dim, output_dim) table."""

import warnings

import kbackend as K

from ... import constraints, initializers, regularizers
from ..layer import Layer
from .arguments import check_not_quantized, check_positive_int
from .legacy_kwargs import renamed_kwargs

_SHAPE_KWARGS = ("input_shape", "batch_input_shape", "batch_shape")


class Embedding(Layer):
    @renamed_kwargs(init="embeddings_initializer", W_regularizer="embeddings_regularizer",
                    W_constraint="embeddings_constraint")
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        check_not_quantized("Embedding", lora_rank, lora_alpha, quantization_config)
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Embedding(input_length=...) is the Keras 2 spelling and is deprecated; give the input "
                          "shape instead: Input(shape=(input_length,)) or input_shape=(input_length,).",
                          DeprecationWarning, stacklevel=2)
            if not any(kwargs.get(k) is not None for k in _SHAPE_KWARGS):
                kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_positive_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if weights is not None:
            # the table's shape does not depend on the input, so it can be filled now
            self.build()
            self.set_weights(weights if isinstance(weights, (list, tuple)) else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")
        self.built = True

    def _autocast_inputs(self):
        return False  # indices, not activations: float inputs become int32 in call

    def call(self, inputs):
        if K.dtype(inputs) not in ("int32", "int64"):
            inputs = K.cast(inputs, "int32")
        outputs = K.gather(self.embeddings, inputs)
        return outputs if K.dtype(outputs) == self.compute_dtype else K.cast(outputs, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        return K.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return config
