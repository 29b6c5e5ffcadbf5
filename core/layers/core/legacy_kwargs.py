"""Keras 1/2 keyword spellings that are plain renames of today's arguments.

`@renamed_kwargs(output_dim="units")` on a layer's `__init__` moves an old
keyword to its new name with a DeprecationWarning that names the new
spelling, so old code keeps running and says how to update it.
"""

import functools
import inspect
import warnings


def renamed_kwargs(**renames):
    """renames: old keyword -> new keyword of the decorated __init__."""
    def decorate(init):
        signature = inspect.signature(init)

        @functools.wraps(init)
        def wrapper(self, *args, **kwargs):
            owner = type(self).__name__
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                value = kwargs.pop(old)
                if new in signature.bind_partial(self, *args, **kwargs).arguments:
                    raise TypeError(f"{owner}() got both `{old}` (its Keras 1/2 spelling) and `{new}`; "
                                    f"pass only `{new}`.")
                warnings.warn(f"{owner}({old}=...) is the Keras 1/2 spelling and is deprecated; use "
                              f"{owner}({new}=...) instead.", DeprecationWarning, stacklevel=2)
                kwargs[new] = value
            return init(self, *args, **kwargs)
        return wrapper
    return decorate
