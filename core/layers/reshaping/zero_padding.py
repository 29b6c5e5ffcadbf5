"""ZeroPadding1D/2D/3D: zeros added before and after each spatial axis."""

import kbackend as K

from ..input_spec import InputSpec
from ..layer import Layer
from ..pooling import image_arguments as args
from ..pooling.legacy_dim_ordering import accepts_dim_ordering
from .pairs import normalize_pairs


class BaseZeroPadding(Layer):
    rank = None  # number of spatial axes; set by each subclass

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self._pairs = normalize_pairs(owner, "padding", padding, self.rank, allow_legacy=True)
        self.padding = self._pairs[0] if self.rank == 1 else self._pairs  # Keras's config form
        self.data_format = args.data_format(owner, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        width = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(args.spatial_axes(self.data_format, self.rank), self._pairs):
            width[axis] = pair
        return K.pad(inputs, width)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(args.spatial_axes(self.data_format, self.rank), self._pairs):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class ZeroPadding1D(BaseZeroPadding):
    rank = 1

    @accepts_dim_ordering
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding2D(BaseZeroPadding):
    rank = 2

    @accepts_dim_ordering
    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding3D(BaseZeroPadding):
    rank = 3

    @accepts_dim_ordering
    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)
