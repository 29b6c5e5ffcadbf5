"""A Node records one call of a layer on symbolic tensors: its arguments (with
KerasTensors in them) and the KerasTensors it produced."""

from kbackend import tree

from .keras_tensor import KerasTensor


class Node:
    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten((call_args, call_kwargs))[0]
                              if isinstance(t, KerasTensor)]
        self.output_tensors = [t for t in tree.flatten(outputs)[0] if isinstance(t, KerasTensor)]
        index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, index, i)
        for t in self.input_tensors:
            if t._keras_history is not None:
                t._keras_history[0]._outbound_nodes.append(self)

    @property
    def parent_nodes(self):
        """The nodes that produced this node's inputs."""
        found = []
        for t in self.input_tensors:
            if t._keras_history is not None:
                layer, index, _ = t._keras_history
                node = layer._inbound_nodes[index]
                if node not in found:
                    found.append(node)
        return found

    @property
    def is_input(self):
        return not self.input_tensors

    def __repr__(self):
        return f"<Node of {self.layer.name}: {len(self.input_tensors)} in, {len(self.output_tensors)} out>"
