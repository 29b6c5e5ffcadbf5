"""core.preprocessing.sequence: Keras 2's home of pad_sequences."""

from ..utils.sequence_utils import pad_sequences  # noqa: F401  (re-export)
