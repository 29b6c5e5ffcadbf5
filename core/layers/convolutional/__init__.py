"""core.layers.convolutional (filled in by the layer-library issue)."""

__all__ = []
