"""Argument checks shared by the normalization layers: each error names the
layer (class or instance), so a bad argument leads back to the call that made it."""

import numbers


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_number(owner, name, value, low, high=None):
    """A float in [low, high] (high=None: no upper bound)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number; got {name}={value!r}.")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{owner}: {name} must be {bounds}; got {name}={value!r}.")
    return float(value)


def check_axis_arg(owner, axis, allow_list):
    """An int axis (or, where allow_list, a non-empty list of ints), as given."""
    if _is_int(axis):
        return int(axis)
    if allow_list and isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
        return [int(a) for a in axis]
    what = "an int or a non-empty list of ints" if allow_list else "an int"
    raise TypeError(f"{owner}: axis must be {what}; got axis={axis!r}.")


def resolve_axes(layer_name, axes, ndim):
    """Axes as sorted non-negative positions in an input of rank ndim (no duplicates)."""
    resolved = []
    for a in ([axes] if isinstance(axes, int) else axes):
        if not -ndim <= a < ndim:
            raise ValueError(f"Layer '{layer_name}': axis {a} is out of range for an input of rank {ndim} "
                             f"(valid axes: {-ndim}..{ndim - 1}).")
        resolved.append(a % ndim)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"Layer '{layer_name}': axis {axes} names the same axis twice.")
    return sorted(resolved)


def known_sizes(layer_name, input_shape, axes):
    """The input sizes along axes; each must be known to size the weights."""
    sizes = tuple(input_shape[a] for a in axes)
    if any(s is None for s in sizes):
        raise ValueError(f"Layer '{layer_name}' normalizes over axis {list(axes)}, whose size must be known to "
                         f"create its weights; got input shape {tuple(input_shape)}.")
    return sizes
