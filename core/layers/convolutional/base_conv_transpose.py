"""BaseConvTranspose: the transposed ("de-") convolution, mapping a
convolution's output shape back to its input shape. kernel (*kernel_size,
filters, in_channels) then bias (filters,) (Keras's layout). Output sizes as
Keras: (n - 1) * stride + max(span, stride) for "valid", n * stride for
"same", or from output_padding when it is given."""

import kbackend as K

from ... import constraints, initializers, regularizers
from ..core.arguments import check_positive_int
from . import conv_arguments as args
from . import conv_ops
from .legacy_kwargs import conv_legacy_kwargs
from .spatial_conv import SpatialConv


class BaseConvTranspose(SpatialConv):
    @conv_legacy_kwargs(drop_output_shape=True)
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        self.filters = check_positive_int(owner, "filters", filters)
        self.output_padding = args.output_padding(owner, output_padding, self.strides)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._build_bias(self.filters)
        self._fix_channels(channels)
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(K.int_shape(inputs))
        outputs = conv_ops.conv_transpose(inputs, self.kernel, self.rank, self.strides, self.padding,
                                          self.output_padding, self.data_format, self.dilation_rate)
        return self._finish(outputs)

    def _output_sizes(self, sizes):
        pads = self.output_padding or (None,) * self.rank
        return tuple(conv_ops.transpose_window(n, k, s, d, self.padding, p)[1]
                     for n, k, s, d, p in zip(sizes, self.kernel_size, self.strides, self.dilation_rate, pads))

    def _output_channels(self, input_channels):
        return self.filters

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        })
        return config
