"""core.layers.merging: layers that combine a list of tensors into one, and their
functional forms (also Keras 1's Merge / merge)."""

from .arithmetic import Add, Average, Multiply, Subtract, add, average, multiply, subtract
from .concatenate import Concatenate, concatenate
from .dot import Dot, dot
from .extrema import Maximum, Minimum, maximum, minimum
from .legacy_merge import Merge, merge

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Merge", "Minimum", "Multiply", "Subtract", "add",
           "average", "concatenate", "dot", "maximum", "merge", "minimum", "multiply", "subtract"]
