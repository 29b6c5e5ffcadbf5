"""core.preprocessing: data helpers kept at their Keras 2 paths."""

from . import sequence
