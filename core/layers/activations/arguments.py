"""Argument checks shared by the activation layers."""

import numbers


def check_non_negative(owner, name, value, allow_none=False):
    """A float >= 0 (or None where allow_none)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{owner}: {name} must be a non-negative number{extra}; got {name}={value!r}.")
    return float(value)
