"""GlobalMaxPooling1D/2D/3D: the largest value of each channel over all spatial positions."""

from .base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    rank, reduction = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    rank, reduction = 2, "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    rank, reduction = 3, "max"


# Keras's short names: the same classes
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
