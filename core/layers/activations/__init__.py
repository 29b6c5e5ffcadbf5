"""core.layers.activations (filled in by the layer-library issue)."""

__all__ = []
