"""LayerNormalization: normalize each example over `axis` (by default the
features), independently of the rest of the batch, then scale by gamma and
shift by beta (both shaped like the normalized axes).

rms_scaling=True keeps only gamma and divides by sqrt(variance + epsilon)
without subtracting the mean first. That is what Keras's implementation
computes (its variance is taken about the mean), so weights and outputs match
Keras's; it is not RMSNorm's mean of squares.
"""

import kbackend as K

from ..input_spec import InputSpec
from ..layer import Layer
from .affine import AffineMixin
from .arguments import check_axis_arg, check_number, known_sizes, resolve_axes


class LayerNormalization(AffineMixin, Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_axis_arg("LayerNormalization", axis, allow_list=True)
        self.epsilon = check_number("LayerNormalization", "epsilon", epsilon, 0.0)
        self.rms_scaling = bool(rms_scaling)
        self._init_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                          beta_constraint, gamma_constraint)
        self.supports_masking = True

    def _given_axes(self):
        return [self.axis] if isinstance(self.axis, int) else list(self.axis)

    def build(self, input_shape):
        axes = resolve_axes(self.name, self.axis, len(input_shape))
        shape = known_sizes(self.name, input_shape, axes)
        self._add_affine_weights(shape, scale=self.scale or self.rms_scaling,
                                 center=self.center and not self.rms_scaling)
        # the sizes are pinned per axis as given, so negative axes still admit other ranks (as Keras)
        given = self._given_axes()
        self.input_spec = InputSpec(min_ndim=max(max(given) + 1, -min(given)),
                                    axes={a: input_shape[a] for a in given})
        self.built = True

    def call(self, inputs):
        ndim = K.ndim(inputs)
        axes = resolve_axes(self.name, self.axis, ndim)
        sizes = K.int_shape(inputs)
        broadcast = [sizes[a] if a in axes else 1 for a in range(ndim)]
        axes = tuple(axes)
        if self.rms_scaling:
            variance = K.var(inputs, axis=axes, keepdims=True)
            return K.multiply(K.divide(inputs, K.sqrt(K.add(variance, self.epsilon))),
                              K.reshape(self.gamma, broadcast))
        mean, variance = K.moments(inputs, axes, keepdims=True)
        inv = K.divide(1.0, K.sqrt(K.add(variance, self.epsilon)))
        if self.gamma is not None:
            inv = K.multiply(inv, K.reshape(self.gamma, broadcast))
        outputs = K.multiply(K.subtract(inputs, mean), inv)
        if self.beta is not None:
            outputs = K.add(outputs, K.reshape(self.beta, broadcast))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon, "rms_scaling": self.rms_scaling,
                       **self._affine_config()})
        return config
