"""GlobalAveragePooling1D/2D/3D: the mean of each channel over all spatial positions.

GlobalAveragePooling1D takes a (batch, steps) mask (from Embedding(mask_zero=True)
or Masking): masked steps are left out of the mean, and no mask goes further.
"""

import kbackend as K

from .base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    rank, reduction = 1, "mean"
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = self._axes[0]
        weights = K.expand_dims(K.cast(mask, K.dtype(inputs)), 2 if steps == 1 else 1)
        total = K.sum(inputs * weights, axis=steps, keepdims=self.keepdims)
        # a sample with every step masked averages nothing: 0 rather than Keras's 0 / 0 = nan
        count = K.maximum(K.sum(weights, axis=steps, keepdims=self.keepdims), 1.0)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    rank, reduction = 2, "mean"


class GlobalAveragePooling3D(BaseGlobalPooling):
    rank, reduction = 3, "mean"


# Keras's short names: the same classes
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
