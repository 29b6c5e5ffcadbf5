"""UpSampling1D/2D/3D: each spatial axis enlarged by an integer factor, by
repeating entries ("nearest") or, for UpSampling2D, by bilinear interpolation."""

import kbackend as K

from ..core.legacy_kwargs import renamed_kwargs
from ..input_spec import InputSpec
from ..layer import Layer
from ..pooling import image_arguments as args
from ..pooling.legacy_dim_ordering import accepts_dim_ordering
from .bilinear import upsample_bilinear


class BaseUpSampling(Layer):
    rank = None  # number of spatial axes; set by each subclass

    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self._scales = args.positive_tuple(owner, size, self.rank, "size")
        self.data_format = args.data_format(owner, data_format)
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _axes(self):
        return args.spatial_axes(self.data_format, self.rank)

    def call(self, inputs):
        if self.interpolation == "bilinear":
            return upsample_bilinear(inputs, self._scales, self._axes)
        for axis, scale in zip(self._axes, self._scales):
            if scale > 1:
                inputs = K.repeat_elements(inputs, scale, axis)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, scale in zip(self._axes, self._scales):
            if shape[axis] is not None:
                shape[axis] *= scale
        return tuple(shape)


class UpSampling1D(BaseUpSampling):
    """Repeats each step of (batch, steps, features) size times, as Keras (no data_format)."""
    rank = 1

    @renamed_kwargs(length="size")
    def __init__(self, size=2, **kwargs):
        super().__init__(size, data_format="channels_last", **kwargs)
        self.size = self._scales[0]

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(BaseUpSampling):
    rank = 2
    _INTERPOLATIONS = ("nearest", "bilinear")

    @accepts_dim_ordering
    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        if interpolation not in self._INTERPOLATIONS:
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear'; got {interpolation!r}. "
                             "(Keras's 'bicubic', 'lanczos3', 'lanczos5' and 'area' are not implemented here.)")
        super().__init__(size, data_format=data_format, interpolation=interpolation, **kwargs)
        self.size = self._scales

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return config


class UpSampling3D(BaseUpSampling):
    rank = 3

    @accepts_dim_ordering
    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)
        self.size = self._scales

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
