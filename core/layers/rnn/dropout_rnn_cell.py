"""Dropout for recurrent cells, with one mask per sequence.

A cell drops its step inputs with rate `dropout` and its previous output with
rate `recurrent_dropout`. Inside an RNN the same masks serve every time step
(drawn once per call, before the loop, as Keras does); a cell called on its own
draws new masks on each call.
"""

import kbackend as K

from ...utils.random_seed import draw_seed


class DropoutRNNCell:
    """Mixin for Layer cells with `dropout`, `recurrent_dropout` and `seed`."""

    def _init_dropout(self, dropout, recurrent_dropout, seed):
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self._sequence_masks = None
        if dropout > 0 or recurrent_dropout > 0:
            # seed=None draws from the host generator, so set_random_seed makes the masks repeat
            self.seed_generator = K.SeedGenerator(draw_seed() if seed is None else seed,
                                                  name=f"{self.name}_seed_generator")

    def _draw_masks(self, step_input, previous_output, training):
        """(input mask, recurrent mask), each None when that dropout is off; a
        mask is 0 or 1 / (1 - rate), shaped like the tensor it multiplies."""
        if not training:
            return None, None
        masks = []
        for rate, like in ((self.dropout, step_input), (self.recurrent_dropout, previous_output)):
            masks.append(K.dropout(K.ones_like(like), rate, seed=self.seed_generator) if rate > 0 else None)
        return tuple(masks)

    def _prepare_dropout(self, step_input, states, training):
        """Called by the RNN before its loop: fix the masks for the whole sequence."""
        states = states if isinstance(states, (list, tuple)) else [states]
        self._sequence_masks = self._draw_masks(step_input, states[0], training)

    def _clear_dropout(self):
        self._sequence_masks = None

    def _dropout_masks(self, step_input, previous_output, training):
        if self._sequence_masks is not None:
            return self._sequence_masks
        return self._draw_masks(step_input, previous_output, training)
