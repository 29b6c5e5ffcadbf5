"""K.function(inputs, outputs): a plain callable over a slice of a graph."""

import numpy as np

import kbackend as K
from kbackend import tree


def symbolic_function(inputs, outputs, updates=None, name=None, **kwargs):
    from ..models.functional import Functional
    if updates:
        raise ValueError("K.function(updates=...) is not supported: state changes happen in layers and "
                         "optimizers. Drop the updates argument.")
    single_in = not isinstance(inputs, (list, tuple))
    single_out = not isinstance(outputs, (list, tuple))
    graph = Functional(inputs=[inputs] if single_in else list(inputs),
                       outputs=[outputs] if single_out else list(outputs), name=name)

    def run(values):
        values = [values] if single_in and not isinstance(values, (list, tuple)) else list(values)
        out = graph(values, training=False)
        out = [np.asarray(K.convert_to_numpy(t)) for t in tree.flatten(out)[0]]
        return out[0] if single_out else out
    return run
