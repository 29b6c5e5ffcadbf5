"""BaseConv: an N-D convolution with `filters` output channels, optionally in
groups. kernel (*kernel_size, in_channels // groups, filters) then bias
(filters,), whatever the data_format (Keras's layout)."""

import kbackend as K

from ... import constraints, initializers, regularizers
from ..core.arguments import check_positive_int
from . import conv_ops
from .legacy_kwargs import conv_legacy_kwargs
from .spatial_conv import SpatialConv


class BaseConv(SpatialConv):
    allow_causal = True

    @conv_legacy_kwargs()
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        self.filters = check_positive_int(owner, "filters", filters)
        self.groups = check_positive_int(owner, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(f"{owner}: filters must be divisible by groups; got filters={self.filters}, "
                             f"groups={self.groups}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # a clear error for a wrong rank or a too small input
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': the input's {channels} channels are not "
                             f"divisible by groups={self.groups} (input shape {tuple(input_shape)}).")
        self.kernel = self.add_weight(shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._build_bias(self.filters)
        self._fix_channels(channels)
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(K.int_shape(inputs))
        outputs = conv_ops.conv(inputs, self.kernel, self.rank, self.strides, self.padding, self.data_format,
                                self.dilation_rate, self.groups)
        return self._finish(outputs)

    def _output_channels(self, input_channels):
        return self.filters

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        })
        return config
