"""Cropping1D/2D/3D: drop entries at the start and end of each spatial axis."""

import kbackend as K

from ..input_spec import InputSpec
from ..layer import Layer
from ..pooling import image_arguments as args
from ..pooling.legacy_dim_ordering import accepts_dim_ordering
from .pairs import normalize_pairs


class BaseCropping(Layer):
    rank = None  # number of spatial axes; set by each subclass

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self._pairs = normalize_pairs(owner, "cropping", cropping, self.rank)
        self.cropping = self._pairs[0] if self.rank == 1 else self._pairs  # Keras's config form
        self.data_format = args.data_format(owner, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        self.compute_output_shape(K.int_shape(inputs))  # cropping everything fails here, by name
        index = [slice(None)] * (self.rank + 2)
        for axis, (start, end) in zip(args.spatial_axes(self.data_format, self.rank), self._pairs):
            index[axis] = slice(start, -end if end else None)  # negative end: works for sizes known only at run time
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (start, end) in zip(args.spatial_axes(self.data_format, self.rank), self._pairs):
            if shape[axis] is None:
                continue
            if start + end >= shape[axis]:
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): cropping {self.cropping} removes "
                                 f"{start + end} of the {shape[axis]} entries of axis {axis} of an input of shape "
                                 f"{tuple(input_shape)}; the amounts cropped from an axis must sum to less than "
                                 "its size.")
            shape[axis] -= start + end
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class Cropping1D(BaseCropping):
    """Crops axis 1 of (batch, steps, features), as Keras (no data_format)."""
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, data_format="channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(BaseCropping):
    rank = 2

    @accepts_dim_ordering
    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(BaseCropping):
    rank = 3

    @accepts_dim_ordering
    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)
