"""Maximum, Minimum and their functional forms."""

import kbackend as K

from .base_merge import _Merge, fold_with_masks


class Maximum(_Merge):
    """Elementwise maximum; masked-out entries do not take part (Keras 3)."""

    def _merge_function(self, inputs, masks):
        return fold_with_masks(K.maximum, inputs, masks)


class Minimum(_Merge):
    """Elementwise minimum; masked-out entries do not take part (Keras 3)."""

    def _merge_function(self, inputs, masks):
        return fold_with_masks(K.minimum, inputs, masks)


def maximum(inputs, **kwargs):
    """Maximum()(inputs)."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Minimum()(inputs)."""
    return Minimum(**kwargs)(inputs)
