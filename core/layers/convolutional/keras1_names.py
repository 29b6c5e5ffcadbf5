"""Keras 1 layer names whose positional arguments meant something else.

`Convolution2D(32, 3, 3)` gave the kernel as one int per axis where today's
third argument is `strides`. These names therefore are functions: they read
the Keras 1 form (with a DeprecationWarning naming today's spelling) and return
the layer of today's class, so configs, weight files and default names stay
Keras's. The same names called the modern way (`Convolution2D(32, (3, 3))`,
Keras 3's aliases) work unchanged and silently.
"""

import numbers
import warnings

from .conv import Conv1D, Conv2D, Conv3D
from .conv_transpose import Conv2DTranspose
from .separable_conv import SeparableConv2D


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _keras1(name, cls, rank, args, kwargs, takes_output_shape=False):
    sizes = args[1:1 + rank]
    if rank > 1 and len(sizes) == rank and all(_is_int(s) for s in sizes):
        rest = args[1 + rank:]
        if takes_output_shape and rest and isinstance(rest[0], (tuple, list)):
            kwargs["output_shape"] = rest[0]  # the layer drops it with its own warning
            rest = rest[1:]
        if rest:
            raise TypeError(f"{name}: after Keras 1's ({args[0]}, {', '.join(map(str, sizes))}) pass the other "
                            f"arguments by keyword; got extra positional arguments {rest!r}.")
        warnings.warn(f"{name}({args[0]}, {', '.join(map(str, sizes))}) is the Keras 1 spelling and is deprecated; "
                      f"use {cls.__name__}({args[0]}, {tuple(sizes)}) instead.", DeprecationWarning, stacklevel=3)
        args = (args[0], tuple(sizes))
    return cls(*args, **kwargs)


def Convolution2D(*args, **kwargs):
    """Conv2D; also Keras 1's Convolution2D(nb_filter, nb_row, nb_col, ...)."""
    return _keras1("Convolution2D", Conv2D, 2, args, kwargs)


def Convolution3D(*args, **kwargs):
    """Conv3D; also Keras 1's Convolution3D(nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, ...)."""
    return _keras1("Convolution3D", Conv3D, 3, args, kwargs)


def Deconvolution2D(*args, **kwargs):
    """Conv2DTranspose; also Keras 1's Deconvolution2D(nb_filter, nb_row, nb_col, output_shape, ...)."""
    return _keras1("Deconvolution2D", Conv2DTranspose, 2, args, kwargs, takes_output_shape=True)


def SeparableConvolution2D(*args, **kwargs):
    """SeparableConv2D; also Keras 1's SeparableConvolution2D(nb_filter, nb_row, nb_col, ...)."""
    return _keras1("SeparableConvolution2D", SeparableConv2D, 2, args, kwargs)


def _atrous(name, cls, rank, args, kwargs):
    warnings.warn(f"{name} is Keras 1's name; use {cls.__name__}(..., dilation_rate=...) instead.",
                  DeprecationWarning, stacklevel=3)
    return _keras1(name, cls, rank, args, kwargs)


def AtrousConvolution1D(*args, **kwargs):
    """Keras 1's dilated Conv1D(nb_filter, filter_length, atrous_rate=...)."""
    return _atrous("AtrousConvolution1D", Conv1D, 1, args, kwargs)


def AtrousConvolution2D(*args, **kwargs):
    """Keras 1's dilated Conv2D(nb_filter, nb_row, nb_col, atrous_rate=...)."""
    return _atrous("AtrousConvolution2D", Conv2D, 2, args, kwargs)
