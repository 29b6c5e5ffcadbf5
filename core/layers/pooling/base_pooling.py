"""The windowed pooling layers' shared part: max or average over pool_size
windows moved by strides (None: the windows do not overlap), "valid" or
"same" padding, either data format."""

import kbackend as K
from kbackend import conv_utils

from ..input_spec import InputSpec
from ..layer import Layer
from . import image_arguments as args

_POOL_OPS = {1: "pool1d", 2: "pool2d", 3: "pool3d"}


class BasePooling(Layer):
    rank = None  # number of spatial axes; set by each subclass
    pool_mode = None  # "max" or "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size, self.strides, self.padding = args.owned(
            owner, conv_utils.pool_args, pool_size, strides, padding, self.pool_mode, self.rank)
        self.data_format = args.data_format(owner, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        self.compute_output_shape(K.int_shape(inputs))  # a window larger than the input fails here, by name
        pool = getattr(K, _POOL_OPS[self.rank])
        return pool(inputs, self.pool_size, strides=self.strides, padding=self.padding,
                    data_format=self.data_format, pool_mode=self.pool_mode)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, size, stride in zip(args.spatial_axes(self.data_format, self.rank), self.pool_size, self.strides):
            n = shape[axis]
            if n is None:
                continue
            if self.padding == "valid" and n < size:
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): the pooling window {self.pool_size} "
                                 f"is larger than the input's spatial size along axis {axis} (input shape "
                                 f"{tuple(input_shape)}, data_format={self.data_format!r}). Use a smaller "
                                 "pool_size or padding='same'.")
            shape[axis] = conv_utils.output_sizes((n,), (size,), (stride,), (1,), self.padding)[0]
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                       "data_format": self.data_format})
        return config
