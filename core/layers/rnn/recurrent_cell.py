"""The base of SimpleRNNCell, GRUCell and LSTMCell.

Each holds kernel (input_dim, gates * units), recurrent_kernel (units,
gates * units) and a bias, and splits its step in two: the input projection
`x @ kernel + input bias` (which an RNN computes for all time steps at once,
outside its loop) and the recurrent part (the only work left in the loop).
"""

import kbackend as K

from ... import activations, constraints, initializers, regularizers
from ..core.arguments import check_positive_int
from ..layer import Layer
from .arguments import check_rate, check_seed
from .dropout_rnn_cell import DropoutRNNCell


class RecurrentCell(DropoutRNNCell, Layer):
    gates = 1  # blocks of `units` columns in the kernels

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        kwargs.pop("implementation", None)  # Keras 2's choice of kernel; every choice computes the same
        owner = type(self).__name__
        super().__init__(**kwargs)
        self.units = check_positive_int(owner, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_dropout(check_rate(owner, "dropout", dropout), check_rate(owner, "recurrent_dropout",
                                                                             recurrent_dropout),
                           check_seed(owner, seed))

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    # -- weights ---------------------------------------------------------------------
    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known feature size (last axis of "
                             f"its input); got input shape {tuple(input_shape)}.")
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_init(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")
        self.built = True

    def get_initial_state(self, batch_size=None):
        return [K.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    # -- the step ----------------------------------------------------------------------
    def _input_bias(self):
        return self.bias

    def project(self, inputs, input_mask=None):
        """inputs (..., input_dim) -> (..., gates * units): the part of the step
        that does not depend on the state. input_mask (batch, input_dim) is the
        input dropout mask, shared by every time step when inputs is a sequence."""
        if input_mask is not None:
            for _ in range(K.ndim(inputs) - K.ndim(input_mask)):
                input_mask = K.expand_dims(input_mask, 1)
            inputs = K.multiply(inputs, input_mask)
        z = K.matmul(inputs, self.kernel)
        bias = self._input_bias()
        return z if bias is None else K.add(z, bias)

    def recur(self, projected, states, recurrent_mask=None):
        """(output, new states) from a projected step input and the previous states."""
        raise NotImplementedError

    def call(self, inputs, states, training=None):
        nested = isinstance(states, (list, tuple))
        states = list(states) if nested else [states]
        input_mask, recurrent_mask = self._dropout_masks(inputs, states[0], training)
        output, new_states = self.recur(self.project(inputs, input_mask), states, recurrent_mask)
        return output, (new_states if nested or len(new_states) > 1 else new_states[0])

    def compute_output_shape(self, input_shape):
        """(output shape, [state shapes]) for a call on a step input of input_shape."""
        batch = input_shape[0]
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return (batch, self.units), [(batch, size) for size in sizes]

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config
