"""Keras 1/2 keywords of the convolution layers that are more than a rename.

`@conv_legacy_kwargs(...)` on an `__init__` turns them into today's arguments,
each with a DeprecationWarning naming the replacement:
- the kernel given per axis: nb_row=/nb_col= (2-D), kernel_dim1=..3= (3-D);
- dim_ordering="tf" / "th" / "default" -> data_format;
- init= -> every initializer it stood for (a separable layer has two);
- output_shape= (Keras 1 Deconvolution2D): now always computed, so dropped.
Plain renames (border_mode=, subsample=, W_regularizer=, ...) go through
core.layers.core.legacy_kwargs.renamed_kwargs.
"""

import functools
import warnings

from ..core.legacy_kwargs import renamed_kwargs

_KERNEL_KEYWORDS = {2: ("nb_row", "nb_col"), 3: ("kernel_dim1", "kernel_dim2", "kernel_dim3")}
_FORMATS = {"tf": "channels_last", "th": "channels_first", "default": None}

# keyword renames shared by the filtered convolutions (Keras 2's legacy interfaces)
CONV_RENAMES = dict(nb_filter="filters", filter_length="kernel_size", subsample_length="strides",
                    subsample="strides", border_mode="padding", atrous_rate="dilation_rate",
                    W_regularizer="kernel_regularizer", b_regularizer="bias_regularizer",
                    W_constraint="kernel_constraint", b_constraint="bias_constraint", bias="use_bias")


def _warn(owner, old, new):
    warnings.warn(f"{owner}({old}) is the Keras 1/2 spelling and is deprecated; use {owner}({new}) instead.",
                  DeprecationWarning, stacklevel=4)


def _take_kernel_keywords(owner, rank, args, kwargs):
    names = _KERNEL_KEYWORDS.get(rank, ())
    given = [n for n in names if n in kwargs]
    if not given:
        return
    if len(given) != len(names):
        raise TypeError(f"{owner}: the Keras 1 kernel keywords come together ({', '.join(names)}); got only "
                        f"{', '.join(given)}. Better: pass kernel_size=({', '.join(names)}).")
    if "kernel_size" in kwargs or len(args) > 1:
        raise TypeError(f"{owner}() got both kernel_size and its Keras 1 spelling {', '.join(names)}; pass only "
                        "kernel_size.")
    sizes = tuple(kwargs.pop(n) for n in names)
    _warn(owner, ", ".join(f"{n}={s!r}" for n, s in zip(names, sizes)), f"kernel_size={sizes}")
    kwargs["kernel_size"] = sizes


def _take_dim_ordering(owner, kwargs):
    if "dim_ordering" not in kwargs:
        return
    value = kwargs.pop("dim_ordering")
    if "data_format" in kwargs:
        raise TypeError(f"{owner}() got both dim_ordering (its Keras 1 spelling) and data_format; pass only "
                        "data_format.")
    if value not in _FORMATS:
        raise ValueError(f"{owner}: dim_ordering must be 'tf', 'th' or 'default'; got {value!r}. Better: pass "
                         "data_format='channels_last' or 'channels_first'.")
    _warn(owner, f"dim_ordering={value!r}", f"data_format={_FORMATS[value]!r}")
    kwargs["data_format"] = _FORMATS[value]


def _take_init(owner, targets, kwargs):
    if "init" not in kwargs:
        return
    value = kwargs.pop("init")
    clash = [t for t in targets if t in kwargs]
    if clash:
        raise TypeError(f"{owner}() got both init (its Keras 1/2 spelling) and {clash[0]}; pass only {clash[0]}.")
    _warn(owner, "init=...", ", ".join(f"{t}=..." for t in targets))
    kwargs.update(dict.fromkeys(targets, value))


def conv_legacy_kwargs(init_targets=("kernel_initializer",), renames=None, drop_output_shape=False):
    """Decorate a convolution layer's __init__ (the class sets `rank`).
    renames: plain keyword renames for renamed_kwargs (default CONV_RENAMES)."""
    def decorate(init):
        inner = renamed_kwargs(**(CONV_RENAMES if renames is None else renames))(init)

        @functools.wraps(init)
        def wrapper(self, *args, **kwargs):
            owner = type(self).__name__
            _take_kernel_keywords(owner, type(self).rank, args, kwargs)
            _take_dim_ordering(owner, kwargs)
            _take_init(owner, init_targets, kwargs)
            if drop_output_shape and "output_shape" in kwargs:
                kwargs.pop("output_shape")
                warnings.warn(f"{owner}(output_shape=...) is the Keras 1 spelling and is ignored: the output "
                              "size follows from the input, strides, padding and output_padding; drop it.",
                              DeprecationWarning, stacklevel=2)
            return inner(self, *args, **kwargs)
        return wrapper
    return decorate
