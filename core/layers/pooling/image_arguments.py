"""Argument checks shared by the pooling and reshaping layers: each error
names the layer class, so a bad argument is traced to the call that made it."""

import kbackend as K
from kbackend import conv_utils


def owned(owner, check, *args):
    """check(*args), with a ValueError re-raised under the owner's name."""
    try:
        return check(*args)
    except ValueError as err:
        raise ValueError(f"{owner}: {err}") from None


def data_format(owner, value):
    return owned(owner, K.config.normalize_data_format, value)


def positive_tuple(owner, value, n, name):
    return owned(owner, conv_utils.normalize_tuple, value, n, name)


def spatial_axes(data_format, rank):
    """The positions of the rank spatial axes of an input of rank + 2 axes."""
    first = 1 if data_format == "channels_last" else 2
    return tuple(range(first, first + rank))
