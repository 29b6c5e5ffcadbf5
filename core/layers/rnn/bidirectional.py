"""Bidirectional: a recurrent layer run forwards, a copy of it run backwards
over the same sequence, and their outputs merged.

The backward layer's sequence output is put back in forward time order before
merging, so step t of the result sees the whole sequence. Both layers are
rebuilt from the given layer's config (named forward_<name> and
backward_<name>); weights list the forward layer's first.
"""

import kbackend as K

from ..layer import Layer
from .rnn import _is_shape

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _without_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


def _copy(layer, name, go_backwards=None):
    config = layer.get_config()
    config["name"] = name
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)


def _reverse_time(x):
    perm = (1, 0) + tuple(range(2, K.ndim(x)))
    steps = K.shape(x)[1]
    return K.transpose(K.gather(K.transpose(x, perm), K.arange(steps - 1, -1, -1)), perm)


def _check_sequence_layer(layer, what):
    if not isinstance(layer, Layer):
        raise ValueError(f"Bidirectional: {what} must be a Layer instance (such as LSTM(...)); got {layer!r}.")
    missing = [a for a in ("go_backwards", "return_sequences", "return_state") if not hasattr(layer, a)]
    if missing:
        raise ValueError(f"Bidirectional: {what} must be a recurrent layer (with go_backwards, return_sequences "
                         f"and return_state); '{layer.name}' ({type(layer).__name__}) lacks {missing}.")


class Bidirectional(Layer):
    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        _check_sequence_layer(layer, "layer")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {list(_MERGE_MODES)}; got {merge_mode!r}.")
        if backward_layer is not None:
            _check_sequence_layer(backward_layer, "backward_layer")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Bidirectional: backward_layer must have the opposite go_backwards of layer; both "
                                 f"have go_backwards={layer.go_backwards}.")
            for attr in ("return_sequences", "return_state", "stateful"):
                if getattr(backward_layer, attr, False) != getattr(layer, attr, False):
                    raise ValueError(f"Bidirectional: backward_layer must have the same {attr} as layer; got "
                                     f"{getattr(backward_layer, attr, False)} and {getattr(layer, attr, False)}.")
        if weights is not None:
            kwargs["weights"] = weights
        super().__init__(**kwargs)
        if self._batch_input_shape is None:  # Bidirectional(LSTM(8, input_shape=...)) as a Sequential's first layer
            self._batch_input_shape = layer._batch_input_shape
        self.forward_layer = _copy(layer, "forward_" + _without_prefix(layer.name, "forward_"))
        self.backward_layer = backward_layer if backward_layer is not None else _copy(
            layer, "backward_" + _without_prefix(layer.name, "forward_"), go_backwards=not layer.go_backwards)
        self._given_backward = backward_layer is not None
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = getattr(layer, "stateful", False)
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                # masked steps of the reversed backward sequence must not carry its earlier outputs
                sub.zero_output_for_mask = self.return_sequences
        self.supports_masking = True

    def build(self, input_shape):
        if not _is_shape(input_shape):
            input_shape = input_shape[0]
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(tuple(input_shape))
                sub.built = True
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, (list, tuple)):  # Keras 2: layer([x, *initial_states])
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        kwargs = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            kwargs["mask"] = mask
        forward_kwargs, backward_kwargs = dict(kwargs), dict(kwargs)
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2:
                raise ValueError(f"Layer '{self.name}' (Bidirectional): initial_state needs the forward layer's "
                                 f"states then the backward layer's (an even number); got {len(states)}.")
            half = len(states) // 2
            forward_kwargs["initial_state"], backward_kwargs["initial_state"] = states[:half], states[half:]
        y = self.forward_layer(sequences, **forward_kwargs)
        y_rev = self.backward_layer(sequences, **backward_kwargs)
        forward_states, backward_states = [], []
        if self.return_state:
            y, forward_states = y[0], list(y[1:])
            y_rev, backward_states = y_rev[0], list(y_rev[1:])
        if self.return_sequences:
            y_rev = _reverse_time(y_rev)
        output = self._merge(y, y_rev)
        if not self.return_state:
            return output
        return (output if isinstance(output, list) else [output]) + forward_states + backward_states

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return K.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return K.add(y, y_rev)
        if self.merge_mode == "mul":
            return K.multiply(y, y_rev)
        if self.merge_mode == "ave":
            return K.multiply(K.add(y, y_rev), 0.5)
        return [y, y_rev]

    def reset_states(self, states=None):
        if states is not None:
            half = len(states) // 2
            self.forward_layer.reset_states(states[:half])
            self.backward_layer.reset_states(states[half:])
            return
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    # -- shapes and masks ----------------------------------------------------------------
    def _split_shapes(self, layer, input_shape):
        shapes = layer.compute_output_shape(input_shape)
        return (shapes[0], list(shapes[1:])) if self.return_state else (shapes, [])

    def compute_output_shape(self, input_shape):
        if not _is_shape(input_shape):
            input_shape = input_shape[0]
        out, forward_states = self._split_shapes(self.forward_layer, input_shape)
        out_rev, backward_states = self._split_shapes(self.backward_layer, input_shape)
        if self.merge_mode == "concat":
            width = None if out[-1] is None or out_rev[-1] is None else out[-1] + out_rev[-1]
            outputs = [tuple(out[:-1]) + (width,)]
        elif self.merge_mode is None:
            outputs = [tuple(out), tuple(out_rev)]
        else:
            outputs = [tuple(out)]
        if not self.return_state:
            return outputs[0] if len(outputs) == 1 else outputs
        return outputs + forward_states + backward_states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            shape = K.int_shape(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)
            masks += [None] * (len(self.compute_output_shape(shape)) - len(masks))
        return masks[0] if len(masks) == 1 else masks

    # -- config ----------------------------------------------------------------------
    def get_config(self):
        from .. import serialize
        config = super().get_config()
        config.update({"merge_mode": self.merge_mode, "layer": serialize(self.forward_layer)})
        if self._given_backward:
            config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config):
        from .. import deserialize
        config = dict(config)
        config.pop("num_constants", None)  # Keras 2 writes it; constants are not supported
        layer = deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        return super().from_config({"layer": layer, "backward_layer": deserialize(backward) if backward else None,
                                    **config})
