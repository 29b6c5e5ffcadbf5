"""SeparableConv1D, SeparableConv2D and Keras 3's SeparableConvolution1D alias
(SeparableConvolution2D is in keras1_names.py: it also reads Keras 1's
positional kernel sizes)."""

from .base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    rank = 1


class SeparableConv2D(BaseSeparableConv):
    rank = 2


SeparableConvolution1D = SeparableConv1D
