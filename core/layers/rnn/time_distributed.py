"""TimeDistributed: applies a layer (or a whole model) to every time step.

Inputs (batch, timesteps, ...) are folded to (batch * timesteps, ...), the
layer runs once on that, and its outputs are unfolded to (batch, timesteps,
...): one set of weights serves all steps, and the engine sees one big call.
"""

import kbackend as K
from kbackend import tree

from ...engine.keras_tensor import KerasTensor
from ..layer import Layer
from .arguments import sequence_shape_error


class TimeDistributed(Layer):
    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed wraps a Layer (or a Model); got {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_spec(self, input_shape):
        if len(input_shape) < 3:
            raise sequence_shape_error(self, input_shape, "(batch, timesteps, ...)")
        return KerasTensor((None,) + tuple(input_shape[2:]), self.compute_dtype)

    def build(self, input_shape):
        self.layer._maybe_build(self._step_spec(input_shape))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        static = K.int_shape(inputs)
        if len(static) < 3:
            raise sequence_shape_error(self, static, "(batch, timesteps, ...)")
        shape = K.shape(inputs)
        batch, steps = shape[0], shape[1]
        folded = K.reshape(inputs, (-1,) + tuple(shape[2:]))
        kwargs = {}
        if training is not None and self.layer._call_accepts("training"):
            kwargs["training"] = training
        if mask is not None and self.layer._call_accepts("mask"):
            kwargs["mask"] = K.reshape(mask, (-1,) + tuple(K.shape(mask)[2:]))
        outputs = self.layer(folded, **kwargs)
        return tree.map_structure(lambda y: K.reshape(y, (batch, steps) + tuple(K.shape(y)[1:])), outputs)

    def compute_output_shape(self, input_shape):
        spec = self.layer.compute_output_spec(self._step_spec(input_shape))
        return tree.map_structure(lambda s: tuple(input_shape[:2]) + tuple(s.shape[1:]), spec)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        for _ in range(K.ndim(mask) - 2):  # a mask over (batch, timesteps) only
            mask = K.any(mask, axis=-1)
        return mask

    def get_config(self):
        from .. import serialize
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config):
        from .. import deserialize
        config = dict(config)
        return super().from_config({"layer": deserialize(config.pop("layer")), **config})
