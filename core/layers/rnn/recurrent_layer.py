"""The base of SimpleRNN, GRU and LSTM: an RNN over its own built-in cell.

The weights live in the cell (`layer.cell.kernel`, ...); the layer reads the
cell's settings through attributes of the same names (`layer.units`), and its
config is the cell's arguments beside the RNN's, as Keras writes it.
"""

import inspect

from ...engine.naming import to_snake_case
from .rnn import RNN

# the cell settings a layer shows as its own attributes
_CELL_ATTRIBUTES = frozenset({
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
    "reset_after"})
_LAYER_ONLY = ("name", "trainable", "dtype")


class RecurrentLayer(RNN):
    cell_class = None  # set by each subclass

    def __init__(self, units, cell_args, **kwargs):
        kwargs.pop("implementation", None)  # Keras 2's choice of kernel; every choice computes the same
        kwargs.pop("use_cudnn", None)  # Keras 3's choice of kernel, likewise
        cell = self.cell_class(units, name=to_snake_case(self.cell_class.__name__), dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True), **cell_args)
        super().__init__(cell, **kwargs)

    @classmethod
    def _cell_arguments(cls, arguments):
        """The constructor's arguments that configure the cell: those the cell's __init__ names."""
        names = inspect.signature(cls.cell_class.__init__).parameters
        return {k: v for k, v in arguments.items() if k in names and k not in ("self", "units", "kwargs")}

    def __getattr__(self, name):
        # only reached when normal lookup fails
        if name in _CELL_ATTRIBUTES and "cell" in self.__dict__:
            return getattr(self.cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in _LAYER_ONLY:
            cell_config.pop(key, None)
        config.update(cell_config)
        return config
