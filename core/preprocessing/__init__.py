"""core.preprocessing: data helpers kept at their Keras 2 paths (sequence, text, image)."""

from . import image, sequence, text
