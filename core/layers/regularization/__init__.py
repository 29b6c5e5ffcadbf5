"""core.layers.regularization (filled in by the layer-library issue)."""

__all__ = []
