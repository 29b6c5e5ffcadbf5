"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose and their Keras aliases."""

from .base_conv_transpose import BaseConvTranspose


class Conv1DTranspose(BaseConvTranspose):
    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, output_padding=None,
                 dilation_rate=1, **kwargs):
        """Keras puts data_format before output_padding here (only here)."""
        super().__init__(filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution3D = Conv3DTranspose  # Keras 2's name
