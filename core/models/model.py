"""Model: a Layer that trains. `Model(inputs, outputs)` builds a functional
model; subclassing Model with `__init__` + `call` gives a subclassed one whose
layers are found in its attributes."""

import numpy as np

import kbackend as K
from kbackend.scope import StatelessScope

from ..layers.layer import Layer
from ..trainers.trainer import Trainer


class Model(Trainer, Layer):
    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs:
            if type(self) is Model:  # unreachable: __new__ made a Functional
                raise TypeError("Model(inputs, outputs) builds a functional model.")
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected positional arguments; a "
                            "subclassed Model takes only name=, trainable=, dtype=.")
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    # -- structure ---------------------------------------------------------------
    @property
    def layers(self):
        return self._tracked_layers()

    def get_layer(self, name=None, index=None):
        if index is not None and name is not None:
            raise ValueError("Give get_layer either a name or an index, not both.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Asked for layer index {index}, but model '{self.name}' has only "
                                 f"{len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: '{name}'. Model '{self.name}' has layers "
                             f"{[layer.name for layer in layers]}.")
        raise ValueError("get_layer needs a name or an index.")

    def build(self, input_shape=None):
        """Create the weights of a subclassed model by calling it once on zeros
        of input_shape (None sizes become 1)."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}' cannot be built without an input shape: call "
                             "model.build(input_shape) or call the model on data.")

        self._build_input_shape = input_shape

        def zeros(shape):
            return K.zeros(tuple(1 if d is None else d for d in shape))
        is_single = isinstance(input_shape, tuple) and all(d is None or isinstance(d, int) for d in input_shape)
        data = zeros(input_shape) if is_single else [zeros(tuple(s)) for s in input_shape]
        with StatelessScope():
            self.call(data)
        self.built = True

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        from ..utils.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Model '{self.name}' has not been built yet, so it has no weights to count. "
                             "Build it by calling it on data, or give the first layer an input_shape.")
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from .functional import Functional
            return Functional.from_config(config, custom_objects)
        return cls(**config)

    # -- saving (the work is in core.saving) ----------------------------------------
    def save(self, filepath, overwrite=True, **kwargs):
        """`.keras` (Keras 3's zip) or `.h5` (Keras 2's HDF5), chosen by the suffix or save_format=."""
        from ..saving.model_io import save_model
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        from ..saving.model_io import save_weights
        kwargs.pop("save_format", None)  # Keras 2's argument: the suffix decides here
        if kwargs:
            raise TypeError(f"save_weights() got unexpected keyword argument(s) {sorted(kwargs)}.")
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, **kwargs):
        from ..saving.model_io import load_weights
        kwargs.pop("options", None)
        if kwargs:
            raise TypeError(f"load_weights() got unexpected keyword argument(s) {sorted(kwargs)}.")
        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        from ..saving.json_yaml import model_to_json
        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        from ..saving.json_yaml import model_to_yaml
        return model_to_yaml(self, **kwargs)

    def _flat_output_names(self):
        return list(getattr(self, "output_names", None) or ["output"])

