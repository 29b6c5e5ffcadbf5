"""BaseDepthwiseConv: every input channel convolved with its own
depth_multiplier filters. kernel (*kernel_size, in_channels, depth_multiplier)
then bias (in_channels * depth_multiplier,); output channel c * depth_multiplier
+ m comes from kernel[..., c, m] (Keras's layout and order)."""

import kbackend as K

from ... import constraints, initializers, regularizers
from ..core.arguments import check_positive_int
from . import conv_ops
from .legacy_kwargs import conv_legacy_kwargs
from .spatial_conv import SpatialConv

_RENAMES = dict(subsample="strides", border_mode="padding", b_regularizer="bias_regularizer",
                b_constraint="bias_constraint", bias="use_bias")


class BaseDepthwiseConv(SpatialConv):
    allow_causal = True  # 1-D only, as Keras 2
    keras2_unused_keys = ("groups",)

    @conv_legacy_kwargs(init_targets=("depthwise_initializer",), renames=_RENAMES)
    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = check_positive_int(type(self).__name__, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    @property
    def depthwise_kernel(self):
        """Keras 2's attribute name for the kernel."""
        return self.kernel

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint, name="kernel")
        self._build_bias(channels * self.depth_multiplier)
        self._fix_channels(channels)
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(K.int_shape(inputs))
        outputs = conv_ops.depthwise_conv(inputs, self.kernel, self.rank, self.strides, self.padding,
                                          self.data_format, self.dilation_rate)
        return self._finish(outputs)

    def _output_channels(self, input_channels):
        return None if input_channels is None else input_channels * self.depth_multiplier

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        })
        return config
