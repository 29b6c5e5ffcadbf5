"""LSTMCell and LSTM: Keras's long short-term memory, gates ordered i, f, c, o.

    z = x @ kernel + h @ recurrent_kernel + bias      (columns: i | f | c | o)
    i, f, o = recurrent_activation(z_i, z_f, z_o)
    c' = f * c + i * activation(z_c);  h' = o * activation(c')
States [h, c]; the output is h'. unit_forget_bias=True starts the f slice of
the bias at ones (the rest from bias_initializer).
"""

import kbackend as K

from ... import activations
from .arguments import legacy_recurrent_kwargs
from .recurrent_cell import RecurrentCell
from .recurrent_layer import RecurrentLayer


class LSTMCell(RecurrentCell):
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def forget_ones(shape, dtype=None):
            return K.concatenate([base((units,), dtype=dtype), K.ones((units,), dtype=dtype),
                                  base((2 * units,), dtype=dtype)], axis=0)
        return forget_ones

    def get_initial_state(self, batch_size=None):
        return [K.zeros((batch_size, self.units), dtype=self.compute_dtype) for _ in range(2)]

    def recur(self, projected, states, recurrent_mask=None):
        h, c = states[0], states[1]
        if recurrent_mask is not None:
            h = K.multiply(h, recurrent_mask)
        z = K.add(projected, K.matmul(h, self.recurrent_kernel))
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = K.add(K.multiply(f, c), K.multiply(i, self.activation(z[:, 2 * u:3 * u])))
        o = self.recurrent_activation(z[:, 3 * u:])
        h = K.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                       "unit_forget_bias": self.unit_forget_bias})
        return config


class LSTM(RecurrentLayer):
    cell_class = LSTMCell

    @legacy_recurrent_kwargs
    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        super().__init__(units, self._cell_arguments(locals()), activity_regularizer=activity_regularizer,
                         return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, unroll=unroll, **kwargs)
