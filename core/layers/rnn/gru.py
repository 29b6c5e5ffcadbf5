"""GRUCell and GRU: Keras's gated recurrent unit, gates ordered z, r, h.

    z = recurrent_activation(x W_z + b_z + h U_z [+ rb_z])
    r = recurrent_activation(x W_r + b_r + h U_r [+ rb_r])
    reset_after=True (default):  n = activation(x W_h + b_h + r * (h U_h + rb_h))
    reset_after=False:           n = activation(x W_h + b_h + (r * h) U_h)
    h' = z * h + (1 - z) * n
The bias is (2, 3 * units) with reset_after (row 0 the input side b, row 1
the recurrent side rb), else (3 * units,).
"""

import kbackend as K

from ... import activations
from .arguments import legacy_recurrent_kwargs
from .recurrent_cell import RecurrentCell
from .recurrent_layer import RecurrentLayer


class GRUCell(RecurrentCell):
    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def recur(self, projected, states, recurrent_mask=None):
        h_prev = states[0]
        h = h_prev if recurrent_mask is None else K.multiply(h_prev, recurrent_mask)
        u = self.units
        if self.reset_after:
            rec = K.matmul(h, self.recurrent_kernel)
            if self.bias is not None:
                rec = K.add(rec, self.bias[1])
            z = self.recurrent_activation(K.add(projected[:, :u], rec[:, :u]))
            r = self.recurrent_activation(K.add(projected[:, u:2 * u], rec[:, u:2 * u]))
            candidate = K.add(projected[:, 2 * u:], K.multiply(r, rec[:, 2 * u:]))
        else:
            rec = K.matmul(h, self.recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(K.add(projected[:, :u], rec[:, :u]))
            r = self.recurrent_activation(K.add(projected[:, u:2 * u], rec[:, u:]))
            candidate = K.add(projected[:, 2 * u:], K.matmul(K.multiply(r, h), self.recurrent_kernel[:, 2 * u:]))
        n = self.activation(candidate)
        h_new = K.add(K.multiply(z, h_prev), K.multiply(K.subtract(1.0, z), n))
        return h_new, [h_new]

    def get_config(self):
        config = super().get_config()
        config.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                       "reset_after": self.reset_after})
        return config


class GRU(RecurrentLayer):
    cell_class = GRUCell

    @legacy_recurrent_kwargs
    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, **kwargs):
        super().__init__(units, self._cell_arguments(locals()), activity_regularizer=activity_regularizer,
                         return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, unroll=unroll, **kwargs)
