"""Per-axis (before, after) amounts for the padding and cropping layers."""

import numbers
import warnings

# Keras 1's dict spelling of ZeroPadding1D/2D's padding, key pairs in axis order
_LEGACY_KEYS = {1: (("left_pad", "right_pad"),),
                2: (("top_pad", "bottom_pad"), ("left_pad", "right_pad"))}


def _is_count(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0


def _legacy(owner, name, value, rank):
    """Keras 1's dict, or 2-D's flat (top, bottom, left, right): pairs, with a DeprecationWarning."""
    if isinstance(value, dict) and rank in _LEGACY_KEYS:
        keys = _LEGACY_KEYS[rank]
        pairs = tuple((value.get(a, 0), value.get(b, 0)) for a, b in keys)
        unknown = set(value) - {k for pair in keys for k in pair}
        if unknown:
            raise ValueError(f"{owner}: unknown {name} key(s) {sorted(unknown)}; the Keras 1 keys are "
                             f"{[k for pair in keys for k in pair]}.")
    elif rank == 2 and isinstance(value, (tuple, list)) and len(value) == 4:
        pairs = (tuple(value[:2]), tuple(value[2:]))
    else:
        return None
    warnings.warn(f"{owner}: {name}={value!r} is the Keras 1 spelling and is deprecated; use {name}="
                  f"{pairs!r} (one (before, after) pair per axis) instead.", DeprecationWarning, stacklevel=4)
    return pairs


def normalize_pairs(owner, name, value, rank, allow_legacy=False):
    """((before, after), ...) for rank axes, from an int (every side), a pair (rank 1),
    or one entry per axis, each an int (both sides) or a (before, after) pair."""
    pairs = _legacy(owner, name, value, rank) if allow_legacy else None
    if pairs is None:
        if _is_count(value):
            pairs = ((value, value),) * rank
        elif rank == 1 and isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_count, value)):
            pairs = (tuple(value),)
        elif isinstance(value, (tuple, list)) and len(value) == rank:
            pairs = tuple((v, v) if _is_count(v) else tuple(v) if isinstance(v, (tuple, list)) else (v,)
                          for v in value)
    if pairs is None or any(len(p) != 2 or not all(map(_is_count, p)) for p in pairs):
        form = "(before, after)" if rank == 1 else f"a tuple of {rank} entries, each an int or a (before, after) pair"
        raise ValueError(f"{owner}: {name} must be a non-negative int or {form} of non-negative ints; "
                         f"got {name}={value!r}.")
    return tuple((int(a), int(b)) for a, b in pairs)
