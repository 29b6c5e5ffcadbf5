"""core.layers.attention (filled in by the layer-library issue)."""

__all__ = []
