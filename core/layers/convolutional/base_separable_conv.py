"""BaseSeparableConv: a depthwise convolution (depth_multiplier filters per
input channel) followed by a pointwise (1 x ... x 1) convolution to `filters`
channels. Weights depthwise_kernel (*kernel_size, in_channels,
depth_multiplier), pointwise_kernel (1, ..., in_channels * depth_multiplier,
filters), bias (filters,) (Keras's layout and order)."""

import kbackend as K

from ... import constraints, initializers, regularizers
from ..core.arguments import check_positive_int
from . import conv_ops
from .legacy_kwargs import conv_legacy_kwargs
from .spatial_conv import SpatialConv

_RENAMES = dict(nb_filter="filters", filter_length="kernel_size", subsample_length="strides",
                subsample="strides", border_mode="padding", b_regularizer="bias_regularizer",
                b_constraint="bias_constraint", bias="use_bias")


class BaseSeparableConv(SpatialConv):
    allow_causal = True  # 1-D only, as Keras 2
    keras2_unused_keys = ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint")

    @conv_legacy_kwargs(init_targets=("depthwise_initializer", "pointwise_initializer"), renames=_RENAMES)
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        self.filters = check_positive_int(owner, "filters", filters)
        self.depth_multiplier = check_positive_int(owner, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier), initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel")
        self._build_bias(self.filters)
        self._fix_channels(channels)
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(K.int_shape(inputs))
        outputs = conv_ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel, self.rank,
                                          self.strides, self.padding, self.data_format, self.dilation_rate)
        return self._finish(outputs)

    def _output_channels(self, input_channels):
        return self.filters

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return config
