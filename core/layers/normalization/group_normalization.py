"""GroupNormalization: split the channels along `axis` into `groups` groups
and normalize each example's group over its channels and all other non-batch
axes, then scale by gamma and shift by beta (one per channel).

groups=-1 puts each channel in its own group (instance normalization); with
groups=1 it is a layer normalization over all non-batch axes.
"""

import numbers

import kbackend as K

from ..input_spec import InputSpec
from ..layer import Layer
from .affine import AffineMixin
from .arguments import check_axis_arg, check_number, known_sizes, resolve_axes


class GroupNormalization(AffineMixin, Layer):
    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization: groups must be a positive integer (or -1 for one group per "
                             f"channel); got groups={groups!r}.")
        self.groups = int(groups)
        self.axis = check_axis_arg("GroupNormalization", axis, allow_list=False)
        self.epsilon = check_number("GroupNormalization", "epsilon", epsilon, 0.0)
        self._init_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                          beta_constraint, gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        (axis,) = resolve_axes(self.name, self.axis, ndim)
        if axis == 0:
            raise ValueError(f"Layer '{self.name}' (GroupNormalization): axis {self.axis} is the batch axis; give "
                             "the channel axis.")
        (channels,) = known_sizes(self.name, input_shape, [axis])
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ValueError(f"Layer '{self.name}' (GroupNormalization): the {channels} channels along axis "
                             f"{self.axis} cannot be split into groups={groups} equal groups; choose a divisor of "
                             f"{channels}.")
        self._axis, self._groups, self._channels = axis, groups, channels
        self._add_affine_weights((channels,))
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})
        self.built = True

    def call(self, inputs):
        shape = K.shape(inputs)
        axis, ndim = self._axis, len(shape)
        # (batch, ..., channels, ...) -> (batch, ..., groups, channels per group, ...)
        grouped_shape = (-1,) + tuple(shape[1:axis]) + (self._groups, self._channels // self._groups) + \
            tuple(shape[axis + 1:])
        grouped = K.reshape(inputs, grouped_shape)
        reduce_axes = tuple(a for a in range(1, ndim + 1) if a != axis)
        mean, variance = K.moments(grouped, reduce_axes, keepdims=True)
        normalized = K.divide(K.subtract(grouped, mean), K.sqrt(K.add(variance, self.epsilon)))
        outputs = K.reshape(normalized, shape)
        broadcast = [self._channels if a == axis else 1 for a in range(ndim)]
        if self.gamma is not None:
            outputs = K.multiply(outputs, K.reshape(self.gamma, broadcast))
        if self.beta is not None:
            outputs = K.add(outputs, K.reshape(self.beta, broadcast))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, **self._affine_config()})
        return config
