"""core.layers.merging (filled in by the layer-library issue)."""

__all__ = []
