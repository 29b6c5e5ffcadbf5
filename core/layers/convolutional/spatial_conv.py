"""SpatialConv: what every convolution layer shares (the window arguments,
the channel axis, the bias, the activation, their config)."""

import kbackend as K
from kbackend import conv_utils

from ... import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from . import conv_arguments as args
from .conv_ops import channel_axis, spatial_axes


class SpatialConv(Layer):
    rank = None  # spatial axes, set by each concrete class
    allow_causal = False  # padding="causal" (1-D layers only)
    # config keys Keras 2 wrote for this layer (inherited from its Conv base) that it never used
    keras2_unused_keys = ()

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                 bias_initializer, bias_regularizer, bias_constraint, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner, rank = type(self).__name__, self.rank
        self.kernel_size = args.window_tuple(owner, kernel_size, rank, "kernel_size")
        self.strides, self.dilation_rate = args.strides_and_dilation(owner, strides, dilation_rate, rank)
        self.padding = args.padding(owner, padding, self.allow_causal and rank == 1)
        self.data_format = args.data_format(owner, data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    # -- shapes --------------------------------------------------------------------------------------------------
    @property
    def _channel_axis(self):
        return channel_axis(self.rank, self.data_format)

    def _input_channels(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs a known channel axis "
                             f"({self.data_format}); got input shape {tuple(input_shape)}.")
        return int(channels)

    def _output_sizes(self, sizes):
        """Spatial output sizes for spatial input sizes (None stays None)."""
        return tuple(None if n is None else conv_utils.output_sizes((n,), (k,), (s,), (d,), self.padding)[0]
                     for n, k, s, d in zip(sizes, self.kernel_size, self.strides, self.dilation_rate))

    def _output_channels(self, input_channels):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2} "
                             f"(batch, {self.rank} spatial axes, channels); got shape {input_shape}.")
        axes = spatial_axes(self.rank, self.data_format)
        sizes = self._output_sizes([input_shape[a] for a in axes])
        if any(n is not None and n <= 0 for n in sizes):
            raise ValueError(f"{type(self).__name__} '{self.name}': the input of shape {input_shape} is too "
                             f"small for kernel_size={self.kernel_size} with dilation_rate={self.dilation_rate} "
                             f"and padding='{self.padding}' (output sizes {sizes}). Use a larger input, a "
                             "smaller kernel or padding='same'.")
        channels = self._output_channels(input_shape[self._channel_axis])
        if self.data_format == "channels_last":
            return (input_shape[0],) + sizes + (channels,)
        return (input_shape[0], channels) + sizes

    # -- weights and outputs ---------------------------------------------------------------------------------------
    def _build_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(size,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")

    def _fix_channels(self, channels):
        """Later inputs must bring the channel count the weights were built for."""
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})

    def _finish(self, outputs):
        if self.bias is not None:
            outputs = K.bias_add(outputs, self.bias, data_format=self.data_format)
        return self.activation(outputs)

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items() if k not in cls.keras2_unused_keys}
        return super().from_config(config)

    def get_config(self):
        config = super().get_config()
        config.update({
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
