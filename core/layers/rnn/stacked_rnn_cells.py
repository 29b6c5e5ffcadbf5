"""StackedRNNCells: several cells used as one, each feeding the next within
a time step (a deep RNN in one loop). States: one entry per cell, in order."""

import kbackend as K

from ..layer import Layer


def _sizes(state_size):
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


def output_size_of(cell):
    """A cell's output width: its output_size, else its first state's size (as Keras)."""
    size = getattr(cell, "output_size", None)
    return size if size is not None else _sizes(cell.state_size)[0]


class StackedRNNCells(Layer):
    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells needs a non-empty list of cells; got {cells!r}.")
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs a `call` method and a `state_size` attribute; "
                                 f"{cell!r} does not have both.")
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return output_size_of(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
            shape = (shape[0], output_size_of(cell))
        self.built = True

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                state = fn(batch_size=batch_size)
            else:
                state = [K.zeros((batch_size, size), dtype=self.compute_dtype) for size in _sizes(cell.state_size)]
            states.append(list(state) if isinstance(state, (list, tuple)) else [state])
        return states

    def _prepare_dropout(self, step_input, states, training):
        x = step_input
        for cell, cell_states in zip(self.cells, states):
            if hasattr(cell, "_prepare_dropout"):
                cell._prepare_dropout(x, cell_states, training)
            x = K.zeros((K.shape(x)[0], output_size_of(cell)), dtype=K.dtype(x))  # the next input's shape

    def _clear_dropout(self):
        for cell in self.cells:
            if hasattr(cell, "_clear_dropout"):
                cell._clear_dropout()

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            kwargs = {"training": training} if isinstance(cell, Layer) and cell._call_accepts("training") else {}
            inputs, cell_new = cell.call(inputs, list(cell_states), **kwargs)
            new_states.append(list(cell_new) if isinstance(cell_new, (list, tuple)) else [cell_new])
        return inputs, new_states

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        return (batch, self.output_size), [[(batch, size) for size in _sizes(cell.state_size)] for cell in self.cells]

    def get_config(self):
        from .. import serialize
        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config):
        from .. import deserialize
        config = dict(config)
        cells = [deserialize(c) for c in config.pop("cells")]
        return cls(cells, **config)
