"""The global pooling layers' shared part: reduce every spatial axis at once,
leaving (batch, channels), or size-1 spatial axes with keepdims."""

import kbackend as K

from ..input_spec import InputSpec
from ..layer import Layer
from . import image_arguments as args
from .legacy_dim_ordering import accepts_dim_ordering


class BaseGlobalPooling(Layer):
    rank = None  # number of spatial axes; set by each subclass
    reduction = None  # "max" or "mean": the K op; set by each subclass

    @accepts_dim_ordering
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = args.data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _axes(self):
        return args.spatial_axes(self.data_format, self.rank)

    def call(self, inputs):
        return getattr(K, self.reduction)(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return tuple(1 if i in self._axes else d for i, d in enumerate(input_shape))
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        return (input_shape[0], channels)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config
