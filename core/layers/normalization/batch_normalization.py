"""BatchNormalization: normalize each feature along `axis` by a mean and a
variance, then scale by gamma and shift by beta.

In training (training=True on a trainable layer) the statistics are the
batch's, over every axis but `axis` (variance with ddof=0, optionally
weighted by a mask), and the moving averages move toward them:
moving = moving * momentum + batch * (1 - momentum). Otherwise, and always
for a frozen layer (trainable=False, as Keras 2.x/3 do), the moving averages
are used.
"""

import kbackend as K

from ... import initializers
from ..core.legacy_kwargs import renamed_kwargs
from ..input_spec import InputSpec
from ..layer import Layer
from .affine import AffineMixin
from .arguments import check_axis_arg, check_number, known_sizes, resolve_axes

# Keras 1/2 options: (value that means "off", whether another value matters here)
_LEGACY_OPTIONS = {"renorm": (False, True), "virtual_batch_size": (None, True), "adjustment": (None, True),
                   "mode": (0, True), "fused": (None, False), "renorm_clipping": (None, False),
                   "renorm_momentum": (0.99, False)}


def _pop_legacy_options(kwargs):
    """Drop Keras 1/2 options that do not change the result here; refuse those that would."""
    for key, (off, matters) in _LEGACY_OPTIONS.items():
        if key not in kwargs:
            continue
        value = kwargs.pop(key)
        if matters and value is not None and value != off:
            raise NotImplementedError(f"BatchNormalization({key}={value!r}) (a Keras 1/2 option) is not supported; "
                                      f"leave it at {off!r}.")


class BatchNormalization(AffineMixin, Layer):
    @renamed_kwargs(beta_init="beta_initializer", gamma_init="gamma_initializer")
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, **kwargs):
        _pop_legacy_options(kwargs)
        super().__init__(**kwargs)
        axis = check_axis_arg("BatchNormalization", axis, allow_list=True)
        if isinstance(axis, list):  # Keras 2 configs store the axis as a one-element list
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization normalizes along one axis; got axis={axis}. Use "
                                 "LayerNormalization or GroupNormalization for several axes.")
            axis = axis[0]
        self.axis = axis
        self.momentum = check_number("BatchNormalization", "momentum", momentum, 0.0, 1.0)
        self.epsilon = check_number("BatchNormalization", "epsilon", epsilon, 0.0)
        self._init_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                          beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = bool(synchronized)  # one device per process here: nothing to synchronize
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        (self._axis,) = resolve_axes(self.name, self.axis, ndim)
        (dim,) = known_sizes(self.name, input_shape, [self._axis])
        self._add_affine_weights((dim,))
        self.moving_mean = self.add_weight(shape=(dim,), initializer=self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(shape=(dim,), initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self._reduction_axes = tuple(a for a in range(ndim) if a != self._axis)
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        half = K.dtype(x) in ("float16", "bfloat16")
        if half:  # statistics in float32, as Keras does under mixed precision
            x = K.cast(x, "float32")
        if training and self.trainable:
            mean, variance = self._batch_moments(x, mask)
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                batch = K.cast(K.stop_gradient(batch), moving.dtype)  # state, not part of the differentiated graph
                moving.assign(K.add(K.multiply(moving, self.momentum), K.multiply(batch, 1.0 - self.momentum)))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        outputs = K.batch_normalization(x, mean, variance, self.beta, self.gamma, axis=self._axis,
                                        epsilon=self.epsilon)
        return K.cast(outputs, K.dtype(inputs)) if half else outputs

    def _batch_moments(self, x, mask):
        if mask is None:
            return K.moments(x, self._reduction_axes)
        if K.ndim(mask) != K.ndim(x) - 1:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization): the mask must cover every input axis but the "
                             f"normalized one (axis {self.axis}); got a mask of shape {tuple(K.int_shape(mask))} "
                             f"for an input of shape {tuple(K.int_shape(x))}.")
        weights = K.expand_dims(K.cast(mask, K.dtype(x)), self._axis)
        # masked entries count for nothing; max(count, 1) keeps an all-masked batch finite
        count = K.maximum(K.sum(weights, axis=self._reduction_axes, keepdims=True), 1.0)
        mean = K.divide(K.sum(K.multiply(weights, x), axis=self._reduction_axes, keepdims=True), count)
        squares = K.multiply(weights, K.square(K.subtract(x, mean)))
        variance = K.divide(K.sum(squares, axis=self._reduction_axes, keepdims=True), count)
        return K.reshape(mean, (-1,)), K.reshape(variance, (-1,))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            **self._affine_config(),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
        })
        return config
