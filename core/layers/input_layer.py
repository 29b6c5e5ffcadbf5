"""Input: the symbolic tensor a functional model starts from, and InputLayer,
the layer that owns it."""

import numpy as np

import kbackend as K

from ..engine.keras_tensor import KerasTensor
from ..engine.node import Node
from .layer import Layer


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, input_shape=None, batch_input_shape=None, **kwargs):
        if input_shape is not None and shape is None:
            shape = input_shape  # Keras 2 spelling
        if batch_input_shape is not None and batch_shape is None:
            batch_shape = batch_input_shape
        if shape is not None and batch_shape is not None:
            raise ValueError("Give InputLayer either `shape` or `batch_shape`, not both.")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise TypeError(f"input_tensor must be a symbolic tensor from Input(); got "
                                f"{type(input_tensor).__name__}.")
            batch_shape = input_tensor.shape
            dtype = dtype or input_tensor.dtype
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a shape: Input(shape=(28, 28)) (without the batch size), or "
                                 "batch_shape=(None, 28, 28).")
            if isinstance(shape, (int, np.integer)):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        if any(d is not None and d < 0 for d in batch_shape):
            raise ValueError(f"Input shape sizes must be positive or None; got {batch_shape}.")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = batch_shape
        self._batch_input_shape = batch_shape
        self.sparse = bool(sparse)
        self.built = True
        tensor = input_tensor or KerasTensor(batch_shape, dtype=dtype or K.floatx(), name=self.name)
        Node(self, (), {}, tensor)
        self.output_tensor = tensor

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.output_tensor.dtype,
                "sparse": self.sparse, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_input_shape" in config:
            config["batch_shape"] = config.pop("batch_input_shape")
        config.pop("ragged", None)
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          **kwargs):
    """A symbolic input tensor of shape (batch_size,) + shape."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       input_tensor=tensor, name=name, **kwargs)
    return layer.output_tensor
