"""Keras 1's `dim_ordering=` ("tf", "th", "default") for image layers.

Unlike a plain rename its values change too, so `@accepts_dim_ordering` on an
`__init__` that takes `data_format` turns it into today's spelling with a
DeprecationWarning that names the replacement.
"""

import functools
import warnings

_FORMATS = {"tf": "channels_last", "th": "channels_first", "default": None}


def accepts_dim_ordering(init):
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        if "dim_ordering" not in kwargs:
            return init(self, *args, **kwargs)
        owner = type(self).__name__
        value = kwargs.pop("dim_ordering")
        if "data_format" in kwargs:
            raise TypeError(f"{owner}() got both `dim_ordering` (its Keras 1 spelling) and `data_format`; "
                            "pass only `data_format`.")
        if value not in _FORMATS:
            raise ValueError(f"{owner}: dim_ordering must be 'tf', 'th' or 'default'; got {value!r}. "
                             "Better: pass data_format='channels_last' or 'channels_first'.")
        new = _FORMATS[value]
        warnings.warn(f"{owner}(dim_ordering={value!r}) is the Keras 1 spelling and is deprecated; use "
                      f"{owner}(data_format={new!r}) instead.", DeprecationWarning, stacklevel=2)
        kwargs["data_format"] = new
        return init(self, *args, **kwargs)
    return wrapper
