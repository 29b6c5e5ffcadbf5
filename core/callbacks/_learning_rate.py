"""Reading and setting the optimizer's learning rate from host-side callbacks."""

import numpy as np

import kbackend as K


def get_learning_rate(optimizer):
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError("This callback changes the learning rate, so the model needs an optimizer with a "
                         "`learning_rate` attribute: compile the model first.")
    return float(K.convert_to_numpy(optimizer.learning_rate))


def as_learning_rate(value, source):
    """`value` as a float, or a ValueError naming `source` (who produced it)."""
    if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    try:
        array = np.asarray(K.convert_to_numpy(value))
    except (TypeError, ValueError):
        array = None
    if array is None or array.size != 1 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{source} must return a float learning rate; got {value!r}.")
    return float(array.reshape(-1)[0])
