"""Conv1D, Conv2D, Conv3D (and their Keras aliases Convolution1D/2D/3D)."""

from .base_conv import BaseConv


class Conv1D(BaseConv):
    """Over (batch, steps, channels), or (batch, channels, steps) for
    channels_first; padding "valid", "same" or "causal"."""
    rank = 1


class Conv2D(BaseConv):
    rank = 2


class Conv3D(BaseConv):
    rank = 3


# Keras 3's aliases. Convolution2D / Convolution3D are functions (keras1_names.py)
# because they also read the Keras 1 positional kernel sizes.
Convolution1D = Conv1D
