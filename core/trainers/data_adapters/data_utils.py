"""Host-side helpers shared by the data adapters.

Data arrives as nested structures (a single array, lists/tuples of arrays,
dicts name -> array) whose leaves may be numpy arrays, engine tensors of any
engine, pandas objects or plain Python lists of numbers. Everything here turns
such leaves into numpy arrays and packs batches as (x,), (x, y) or
(x, y, sample_weight) tuples, which is what the trainer consumes.
"""

import numpy as np

import kbackend as K

_SCALARS = (bool, int, float, complex, str, bytes, np.generic)


def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(value, "_fields")


def is_scalar_list(value):
    """True for a (nested) Python list/tuple of numbers such as [0, 1, 1] or
    [[1, 2], [3, 4]]: one array written as a list, not a structure of arrays."""
    if not isinstance(value, (list, tuple)) or _is_namedtuple(value):
        return False
    while isinstance(value, (list, tuple)):
        if not value:
            return False
        value = value[0]
    return isinstance(value, _SCALARS)


def is_structure(value):
    """Lists, tuples and dicts are containers, except lists of numbers."""
    return isinstance(value, (list, tuple, dict)) and not is_scalar_list(value)


def map_structure(fn, structure):
    """Apply fn to every leaf, keeping list/tuple/namedtuple/dict containers.
    None stays None (an absent y or sample_weight)."""
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if is_structure(structure):
        items = [map_structure(fn, value) for value in structure]
        return type(structure)(*items) if _is_namedtuple(structure) else type(structure)(items)
    return fn(structure)


def flatten(structure):
    """The leaves of a structure in a fixed order, None left out."""
    leaves = []
    map_structure(leaves.append, structure)
    return leaves


def _is_torch_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _is_pandas(value):
    return type(value).__module__.startswith("pandas") and type(value).__name__ in ("DataFrame", "Series")


def is_array_leaf(value):
    """Whether value is one array-like input: numpy array, Variable, engine
    tensor (any engine), pandas DataFrame/Series or a list of numbers."""
    if isinstance(value, (np.ndarray, K.Variable)) or is_scalar_list(value):
        return True
    if _is_pandas(value) or _is_torch_tensor(value):
        return True
    if isinstance(value, np.generic):
        return False
    return K.is_tensor(value) or (hasattr(value, "__array__") and hasattr(value, "shape"))


def is_array_structure(value):
    """A leaf array or a non-empty list/tuple/dict made only of them."""
    leaves = flatten(value)
    return bool(leaves) and all(is_array_leaf(leaf) for leaf in leaves)


def to_numpy(value):
    """One leaf as a host numpy array."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, K.Variable):
        return value.numpy()
    if is_scalar_list(value) or isinstance(value, _SCALARS):
        return np.asarray(value)
    if _is_pandas(value):
        return value.to_numpy()
    if _is_torch_tensor(value):
        # .numpy() refuses tensors that need grad or live on an accelerator.
        return value.detach().cpu().numpy()
    if K.is_tensor(value):
        return K.convert_to_numpy(value)
    if hasattr(value, "__array__"):
        return np.asarray(value)
    raise TypeError(
        f"Cannot turn a value of type {type(value).__module__}.{type(value).__qualname__} into an array; "
        "data must be numpy arrays, tensors or lists of numbers.")


def structure_to_numpy(structure):
    return map_structure(to_numpy, structure)


def unpack_x_y_sample_weight(data):
    """(x,), (x, y) or (x, y, sample_weight) as a list or tuple -> (x, y, sw)
    with None for what is missing; any other value is x alone."""
    if isinstance(data, (list, tuple)) and not _is_namedtuple(data) and 1 <= len(data) <= 3:
        data = tuple(data)
        return data + (None,) * (3 - len(data))
    return data, None, None


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse of unpack_x_y_sample_weight: x alone (wrapped as (x,) when x
    is itself a list or tuple, so unpacking gives it back), (x, y) or
    (x, y, sample_weight)."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def batch_tuple(x, y=None, sample_weight=None):
    """The batch form the trainer receives: always a tuple."""
    if sample_weight is not None:
        return (x, y, sample_weight)
    return (x,) if y is None else (x, y)


def num_samples(x, y=None, sample_weight=None):
    """The common first dimension of all arrays, or a ValueError naming the
    lengths that disagree."""
    sizes = {}
    for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in flatten(part):
            if leaf.ndim == 0:
                raise ValueError(
                    f"{name} contains a scalar (0-d array); every array needs a first, per-sample dimension.")
            sizes.setdefault(name, []).append(int(leaf.shape[0]))
    distinct = {n for lengths in sizes.values() for n in lengths}
    if len(distinct) > 1:
        detail = "; ".join(f"{name} sizes: {', '.join(map(str, lengths))}" for name, lengths in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: {detail}. Make sure all arrays contain the same number of samples.")
    return distinct.pop()


def _single_target(y):
    """The one target array behind y, or a ValueError for several outputs."""
    leaves = flatten(y)
    if len(leaves) != 1:
        raise ValueError(
            f"`class_weight` is only supported for models with a single output; y holds {len(leaves)} target "
            "arrays. Pass `sample_weight` (one array per output) instead.")
    return to_numpy(leaves[0])


def class_weight_to_sample_weight(y, class_weight, sample_weight=None):
    """Per-sample weights class_weight[label] (1.0 for classes not listed),
    with labels taken from integer targets, (n, 1) targets or the argmax of
    one-hot/probability rows; multiplied with sample_weight when given."""
    if y is None:
        raise ValueError("`class_weight` needs targets: pass y (or yield (x, y) batches).")
    labels = _single_target(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    elif labels.ndim == 2:
        labels = np.argmax(labels, axis=-1)
    elif labels.ndim != 1:
        raise ValueError(
            f"`class_weight` needs one label per sample: targets of shape (n,), (n, 1) or (n, classes); "
            f"got shape {labels.shape}. Pass `sample_weight` instead.")
    labels = np.round(labels).astype(np.int64)

    keys, values = [], []
    for key, weight in class_weight.items():
        try:
            keys.append(int(key))
        except (TypeError, ValueError):
            raise ValueError(
                f"`class_weight` keys must be integer class indices; got {key!r} of type {type(key).__name__}."
            ) from None
        values.append(float(weight))
    order = np.argsort(keys)
    keys, values = np.asarray(keys, dtype=np.int64)[order], np.asarray(values)[order]

    weights = np.ones(labels.shape[0], dtype=K.floatx())
    if keys.size:
        pos = np.minimum(np.searchsorted(keys, labels), keys.size - 1)
        listed = keys[pos] == labels
        weights[listed] = values[pos[listed]]
    if sample_weight is None:
        return weights
    if is_structure(sample_weight):
        raise ValueError("`class_weight` can only be combined with a single `sample_weight` array.")
    sample_weight = to_numpy(sample_weight)
    return (sample_weight * weights.reshape((-1,) + (1,) * (sample_weight.ndim - 1))).astype(K.floatx())


def standardize_batch(data, class_weight=None):
    """One batch from a generator/PyDataset/dataset -> a tuple of numpy
    structures, with class weights folded into the sample weights."""
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    x, y, sample_weight = (structure_to_numpy(part) for part in (x, y, sample_weight))
    if class_weight is not None:
        sample_weight = class_weight_to_sample_weight(y, class_weight, sample_weight)
    return batch_tuple(x, y, sample_weight)
