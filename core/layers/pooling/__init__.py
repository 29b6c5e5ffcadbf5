"""core.layers.pooling (filled in by the layer-library issue)."""

__all__ = []
