"""SimpleRNNCell and SimpleRNN: h' = activation(x @ kernel + bias + h @ recurrent_kernel)."""

import kbackend as K

from .arguments import legacy_recurrent_kwargs
from .recurrent_cell import RecurrentCell
from .recurrent_layer import RecurrentLayer


class SimpleRNNCell(RecurrentCell):
    gates = 1

    def recur(self, projected, states, recurrent_mask=None):
        h = states[0]
        if recurrent_mask is not None:
            h = K.multiply(h, recurrent_mask)
        h = self.activation(K.add(projected, K.matmul(h, self.recurrent_kernel)))
        return h, [h]


class SimpleRNN(RecurrentLayer):
    cell_class = SimpleRNNCell

    @legacy_recurrent_kwargs
    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        super().__init__(units, self._cell_arguments(locals()), activity_regularizer=activity_regularizer,
                         return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                         stateful=stateful, unroll=unroll, **kwargs)
