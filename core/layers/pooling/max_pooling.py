"""MaxPooling1D/2D/3D: the largest value of each pooling window."""

from ..core.legacy_kwargs import renamed_kwargs
from .base_pooling import BasePooling
from .legacy_dim_ordering import accepts_dim_ordering


class MaxPooling1D(BasePooling):
    rank, pool_mode = 1, "max"

    @renamed_kwargs(pool_length="pool_size", stride="strides", border_mode="padding")
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    rank, pool_mode = 2, "max"

    @renamed_kwargs(border_mode="padding")
    @accepts_dim_ordering
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    rank, pool_mode = 3, "max"

    @renamed_kwargs(border_mode="padding")
    @accepts_dim_ordering
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# Keras's short names: the same classes
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
