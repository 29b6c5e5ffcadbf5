"""Argument checks shared by the convolution layers. Each error starts with the
layer class, so a bad argument is traced to the constructor call that made it."""

import numbers

import kbackend as K
from kbackend import conv_utils


def _owned(owner, check, *args):
    """check(*args), with its ValueError re-raised under the owner's name."""
    try:
        return check(*args)
    except ValueError as err:
        raise ValueError(f"{owner}: {err}") from None


def window_tuple(owner, value, rank, name):
    """kernel_size and the like: an int or rank positive ints."""
    return _owned(owner, conv_utils.normalize_tuple, value, rank, name)


def strides_and_dilation(owner, strides, dilation_rate, rank):
    return _owned(owner, conv_utils.conv_strides_dilation, strides, dilation_rate, rank)


def padding(owner, value, allow_causal):
    return _owned(owner, conv_utils.normalize_padding, value, allow_causal)


def data_format(owner, value):
    return _owned(owner, K.config.normalize_data_format, value)


def output_padding(owner, value, strides):
    """None, or one non-negative int per axis, each smaller than its stride (as Keras)."""
    if value is None:
        return None
    rank = len(strides)
    given = value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * rank
    if not isinstance(value, (tuple, list)) or len(value) != rank or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ValueError(f"{owner}: output_padding must be None, a non-negative int or {rank} non-negative "
                         f"ints; got {given!r}.")
    value = tuple(int(v) for v in value)
    if any(p >= s for p, s in zip(value, strides)):
        raise ValueError(f"{owner}: each output_padding entry must be smaller than its stride; got "
                         f"output_padding={value} with strides={tuple(strides)}.")
    return value
