"""PReLU: x for x >= 0, alpha * x below, with a learned alpha per input
entry (batch axis excluded). shared_axes (input axes, 1 = the first after the
batch) share one alpha along them: alpha has size 1 there."""

import numbers

import kbackend as K

from ... import constraints, initializers, regularizers
from ..core.legacy_kwargs import renamed_kwargs
from ..input_spec import InputSpec
from ..layer import Layer


def _check_shared_axes(shared_axes):
    if shared_axes is None:
        return None
    axes = [shared_axes] if isinstance(shared_axes, numbers.Integral) else shared_axes
    if not isinstance(axes, (list, tuple)) or not all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 1 for a in axes):
        raise ValueError(f"PReLU: shared_axes must be None, or an int or list of ints >= 1 (input axes after the "
                         f"batch axis); got shared_axes={shared_axes!r}.")
    return [int(a) for a in axes]


class PReLU(Layer):
    @renamed_kwargs(init="alpha_initializer")
    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = _check_shared_axes(shared_axes)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        shared = self.shared_axes or []
        if ndim < 2 or any(a >= ndim for a in shared):
            raise ValueError(f"Layer '{self.name}' (PReLU): shared_axes {shared} must name axes of the input "
                             f"(1..{ndim - 1}) and the input needs a batch axis and at least one more; got input "
                             f"shape {tuple(input_shape)}.")
        param_shape = tuple(1 if a in shared else input_shape[a] for a in range(1, ndim))
        if None in param_shape:
            raise ValueError(f"Layer '{self.name}' (PReLU) needs every non-batch input size known to create alpha "
                             f"(or the unknown axes listed in shared_axes); got input shape {tuple(input_shape)}.")
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
                                     name="alpha")
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in range(1, ndim) if a not in shared})
        self.built = True

    def call(self, inputs):
        positive = K.relu(inputs)
        negative = K.multiply(self.alpha, K.subtract(inputs, positive))  # min(x, 0) = x - relu(x)
        return K.add(positive, negative)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config
