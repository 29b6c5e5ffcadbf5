"""The fused path of LSTM and GRU: the whole sequence in one engine op
(K.lstm / K.gru) instead of K.rnn's loop over the cell's step.

It applies when the cell is a plain LSTMCell or GRUCell (reset_after) with tanh
and sigmoid activations, no recurrent dropout in this call and no unrolling;
input dropout multiplies the inputs first (its mask is the same at every step).
An engine without a kernel for a case (e.g. masks on torch) raises
NotImplementedError and the layer loops as before. `ENABLED` (or the
environment variable KCORE_FUSED_RNN=0) turns the path off, e.g. to compare.
"""

import os

import kbackend as K

from ... import activations

ENABLED = os.environ.get("KCORE_FUSED_RNN", "1") != "0"


def _plain_activations(cell):
    return cell.activation is activations.tanh and cell.recurrent_activation is activations.sigmoid


def _fusable(layer, cell, mask, recurrent_mask):
    from .gru import GRUCell
    from .lstm import LSTMCell
    if not ENABLED or layer.unroll or recurrent_mask is not None:
        return None
    if mask is not None and layer.zero_output_for_mask:
        return None
    if type(cell) is LSTMCell and _plain_activations(cell):
        return "lstm"
    if type(cell) is GRUCell and cell.reset_after and _plain_activations(cell):
        return "gru"
    return None


def call(layer, cell, sequences, states, mask, input_mask, recurrent_mask):
    """(last output, outputs, new states) like K.rnn's, or None when the loop must run."""
    kind = _fusable(layer, cell, mask, recurrent_mask)
    if kind is None:
        return None
    if input_mask is not None:
        sequences = K.multiply(sequences, K.expand_dims(input_mask, 1))
    dtype = K.dtype(sequences)
    weights = [K.cast(w, dtype) if w is not None else None for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]
    options = dict(mask=mask, go_backwards=layer.go_backwards, return_sequences=layer.return_sequences)
    try:
        if kind == "lstm":
            last, outputs, h, c = K.lstm(sequences, states[0], states[1], *weights, **options)
            return last, outputs, [h, c]
        last, outputs, h = K.gru(sequences, states[0], *weights, **options)
        return last, outputs, [h]
    except NotImplementedError:
        return None
