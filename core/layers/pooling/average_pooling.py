"""AveragePooling1D/2D/3D: the mean of each pooling window (with "same" padding, the mean of
the window's cells inside the input: padding does not count)."""

from ..core.legacy_kwargs import renamed_kwargs
from .base_pooling import BasePooling
from .legacy_dim_ordering import accepts_dim_ordering


class AveragePooling1D(BasePooling):
    rank, pool_mode = 1, "avg"

    @renamed_kwargs(pool_length="pool_size", stride="strides", border_mode="padding")
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(BasePooling):
    rank, pool_mode = 2, "avg"

    @renamed_kwargs(border_mode="padding")
    @accepts_dim_ordering
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(BasePooling):
    rank, pool_mode = 3, "avg"

    @renamed_kwargs(border_mode="padding")
    @accepts_dim_ordering
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# Keras's short names: the same classes
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
