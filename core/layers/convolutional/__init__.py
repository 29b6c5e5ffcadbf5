"""core.layers.convolutional: convolutions, transposed, depthwise and separable."""

from .conv import Conv1D, Conv2D, Conv3D, Convolution1D
from .conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
    Deconvolution3D,
)
from .depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from .keras1_names import (
    AtrousConvolution1D,
    AtrousConvolution2D,
    Convolution2D,
    Convolution3D,
    Deconvolution2D,
    SeparableConvolution2D,
)
from .separable_conv import SeparableConv1D, SeparableConv2D, SeparableConvolution1D

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose", "Convolution2DTranspose",
    "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D",
    "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
    "AtrousConvolution1D", "AtrousConvolution2D",
]

