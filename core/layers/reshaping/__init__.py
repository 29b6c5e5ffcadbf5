"""core.layers.reshaping: zero padding, cropping and upsampling of 1-D to 3-D
inputs (Flatten, Reshape, Permute and RepeatVector live in core.layers.core)."""

from .cropping import Cropping1D, Cropping2D, Cropping3D
from .up_sampling import UpSampling1D, UpSampling2D, UpSampling3D
from .zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D",
           "ZeroPadding2D", "ZeroPadding3D"]
