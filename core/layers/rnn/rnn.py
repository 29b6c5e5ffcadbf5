"""RNN: runs a cell over the time axis of (batch, timesteps, ...) inputs.

The loop is kbackend's `rnn`, so JAX and TensorFlow compile it as one loop
(unroll=True writes the steps out instead). A cell is a layer with
`call(inputs, states[, training])` -> (output, new states) and a `state_size`;
a list of cells is stacked (StackedRNNCells). For the built-in cells the input
projection of every step is one matmul before the loop.

Masks (from Embedding(mask_zero=True) or Masking) skip padded steps: the
states are carried over them and the final output is that of the last real
step. Dropout masks are drawn once per call and shared by all steps.
stateful=True keeps the final states of one call as the initial states of
the next (per batch row), until reset_states().
"""

import numpy as np

import kbackend as K
from kbackend import tree

from ..layer import Layer
from . import fused
from .arguments import sequence_shape_error
from .recurrent_cell import RecurrentCell
from .stacked_rnn_cells import StackedRNNCells, output_size_of


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in x)


class RNN(Layer):
    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, time_major=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"{type(self).__name__}: the cell must have a `call(inputs, states)` method and a "
                             f"`state_size` attribute; got {cell!r}.")
        if time_major:
            raise ValueError(f"{type(self).__name__}: time_major=True is not supported; give inputs as "
                             "(batch, timesteps, ...) (transpose them first).")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None  # stateful: one Variable per state, created once the batch size is known

    # -- sizes -----------------------------------------------------------------------
    def _flat_state_sizes(self):
        return tree.flatten(self.cell.state_size)[0]

    @property
    def state_size(self):
        return self.cell.state_size

    def _output_size(self):
        return output_size_of(self.cell)

    # -- building ------------------------------------------------------------------
    def build(self, input_shape):
        if not _is_shape(input_shape):  # Keras 2's [inputs, *initial_states]
            input_shape = input_shape[0]
        if len(input_shape) < 3:
            raise sequence_shape_error(self, input_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((input_shape[0],) + tuple(input_shape[2:]))
            self.cell.built = True
        if self.stateful and self.states is None and input_shape[0] is not None:
            self._create_states(int(input_shape[0]))
        self.built = True

    def get_initial_state(self, batch_size):
        """The cell's zero states for batch_size rows, as a list (nested for stacked cells)."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            states = fn(batch_size=batch_size)
        else:
            states = [K.zeros((batch_size, size), dtype=self.compute_dtype) for size in self._flat_state_sizes()]
        return list(states) if isinstance(states, (list, tuple)) else [states]

    def _create_states(self, batch_size):
        self.states = [K.Variable(K.convert_to_numpy(v), name="rnn_state", trainable=False)
                       for v in tree.flatten(self.get_initial_state(batch_size))[0]]

    def reset_states(self, states=None):
        """Zero the carried states, or set them to `states` (one array per state)."""
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' is not stateful: reset_states() needs stateful=True.")
        if states is None:
            if self.states is not None:
                for var in self.states:
                    var.assign(np.zeros(var.shape, var.dtype))
            return
        values = [np.asarray(s) for s in (states if isinstance(states, (list, tuple)) else [states])]
        if self.states is None:
            self._create_states(values[0].shape[0])
        if len(values) != len(self.states):
            raise ValueError(f"Layer '{self.name}' has {len(self.states)} state(s); reset_states() got "
                             f"{len(values)} array(s).")
        for var, value in zip(self.states, values):
            if tuple(value.shape) != tuple(var.shape):
                raise ValueError(f"Layer '{self.name}': a state has shape {tuple(var.shape)}; reset_states() got "
                                 f"an array of shape {tuple(value.shape)}.")
            var.assign(value)

    reset_state = reset_states

    # -- calling -------------------------------------------------------------------
    def _split_inputs(self, inputs, initial_state):
        if isinstance(inputs, (list, tuple)):  # Keras 2: layer([x, h0, c0])
            if initial_state is not None and len(inputs) > 1:
                raise ValueError(f"Layer '{self.name}': give the initial states either after the inputs in a list "
                                 "or as initial_state=, not both.")
            inputs, rest = inputs[0], list(inputs[1:])
            initial_state = rest or initial_state
        return inputs, initial_state

    def _start_states(self, sequences, initial_state):
        """(initial states as the cell wants them, whether to store the final ones)."""
        batch = K.shape(sequences)[0]
        template = self.get_initial_state(batch)
        flat, state_def = tree.flatten(template)
        if initial_state is not None:
            given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(given) != len(flat):
                raise ValueError(f"Layer '{self.name}' has {len(flat)} state(s) but got {len(given)} initial "
                                 "state tensor(s).")
            flat = [K.cast(K.convert_to_tensor(s), self.compute_dtype) for s in given]
        carried = False
        if self.stateful:
            static_batch = K.int_shape(sequences)[0]
            if self.states is None and static_batch is not None:
                self._create_states(static_batch)
            # another (or an unknown) batch size, e.g. a smaller last batch, starts from zeros and leaves the
            # states alone
            if self.states is not None and static_batch == self.states[0].shape[0]:
                carried = True
                if initial_state is None:
                    flat = [var.value for var in self.states]
        return tree.unflatten(state_def, flat), carried

    def call(self, sequences, initial_state=None, mask=None, training=None):
        sequences, initial_state = self._split_inputs(sequences, initial_state)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        shape = K.int_shape(sequences)
        if len(shape) < 3:
            raise sequence_shape_error(self, shape)
        if self.unroll and shape[1] is None:
            raise ValueError(f"Layer '{self.name}': unroll=True needs a known number of timesteps; got input shape "
                             f"{shape}. Give the input a fixed length or use unroll=False.")
        states, carried = self._start_states(sequences, initial_state)
        flat_states, state_def = tree.flatten(states)
        cell = self.cell
        if hasattr(cell, "_prepare_dropout"):
            cell._prepare_dropout(sequences[:, 0], states, training)
        try:
            fused_result = None
            if isinstance(cell, RecurrentCell):
                input_mask, recurrent_mask = cell._sequence_masks
                fused_result = fused.call(self, cell, sequences, flat_states, mask, input_mask, recurrent_mask)
            if fused_result is not None:  # the whole sequence in one engine op
                last, outputs, new_states = fused_result
            elif isinstance(cell, RecurrentCell):
                inputs = cell.project(sequences, input_mask)  # every step's input projection in one matmul

                def step(x, step_states):
                    return cell.recur(x, step_states, recurrent_mask)
            else:
                inputs = sequences
                kwargs = {"training": training} if isinstance(cell, Layer) and cell._call_accepts("training") else {}

                def step(x, step_states):
                    output, new_states = cell.call(x, tree.unflatten(state_def, step_states), **kwargs)
                    return output, tree.flatten(new_states)[0]
            if fused_result is None:
                last, outputs, new_states = K.rnn(step, inputs, flat_states, go_backwards=self.go_backwards,
                                                  mask=mask, unroll=self.unroll, input_length=shape[1],
                                                  zero_output_for_mask=self.zero_output_for_mask,
                                                  return_all_outputs=self.return_sequences)
        finally:
            if hasattr(cell, "_clear_dropout"):
                cell._clear_dropout()
        if carried:
            for var, value in zip(self.states, new_states):
                var.assign(value)
        output = outputs if self.return_sequences else last
        return [output] + list(new_states) if self.return_state else output

    # -- shapes and masks ----------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        if not _is_shape(input_shape):
            input_shape = input_shape[0]
        if len(input_shape) < 3:
            raise sequence_shape_error(self, input_shape)
        batch, size = input_shape[0], self._output_size()
        size = tuple(size) if isinstance(size, (list, tuple)) else (size,)
        output = (batch, input_shape[1]) + size if self.return_sequences else (batch,) + size
        if not self.return_state:
            return output
        return [output] + [(batch, s) for s in self._flat_state_sizes()]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._flat_state_sizes())
        return output_mask

    # -- config ----------------------------------------------------------------------
    def get_config(self):
        from .. import serialize
        config = super().get_config()
        config.update({"return_sequences": self.return_sequences, "return_state": self.return_state,
                       "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                       "zero_output_for_mask": self.zero_output_for_mask, "cell": serialize(self.cell)})
        return config

    @classmethod
    def from_config(cls, config):
        from .. import deserialize
        config = dict(config)
        if isinstance(config.get("cell"), dict):
            config["cell"] = deserialize(config["cell"])
        return super().from_config(config)
