"""core.layers.normalization (filled in by the layer-library issue)."""

__all__ = []
