"""`train_validation_split`: what fit(validation_split=...) does to arrays."""

import math

from .adapter_selection import describe_source
from .data_utils import flatten, is_array_leaf, map_structure, structure_to_numpy


def train_validation_split(arrays, validation_split):
    """Split a structure of arrays (typically (x, y, sample_weight), None
    allowed) into (train, validation): the last `validation_split` fraction
    of the samples, taken before any shuffling, becomes the validation part."""
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) or not (
            0 < validation_split < 1):
        raise ValueError(f"`validation_split` must be a float strictly between 0 and 1; got {validation_split!r}.")
    leaves = flatten(arrays)
    unsplittable = [leaf for leaf in leaves if not is_array_leaf(leaf)]
    if unsplittable:
        kinds = ", ".join(sorted({describe_source(leaf) or type(leaf).__name__ for leaf in unsplittable}))
        raise ValueError(
            f"`validation_split` is only supported for arrays and tensors (numpy arrays, engine tensors, lists or "
            f"dicts of them); got {kinds}. Pass `validation_data` instead.")
    if not leaves:
        return arrays, arrays
    arrays = structure_to_numpy(arrays)
    total = len(flatten(arrays)[0])
    split_at = math.floor(total * (1.0 - validation_split))
    if split_at in (0, total):
        raise ValueError(
            f"Training data contains {total} samples, too few to split into a training and a validation set "
            f"with validation_split={validation_split}. Use more data or a different validation_split.")
    return (map_structure(lambda a: a[:split_at], arrays), map_structure(lambda a: a[split_at:], arrays))
