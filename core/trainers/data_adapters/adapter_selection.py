"""`get_data_adapter`: pick the adapter for whatever the user passed as x."""

import collections.abc

import numpy as np

from ...utils.py_dataset import PyDataset
from .array_data_adapter import ArrayDataAdapter
from .data_adapter import DataAdapter
from .data_utils import flatten, is_array_leaf, is_array_structure, is_structure
from .generator_data_adapter import GeneratorDataAdapter
from .py_dataset_adapter import PyDatasetAdapter
from .tf_dataset_adapter import TFDatasetAdapter, is_tf_dataset
from .torch_data_loader_adapter import TorchDataLoaderAdapter, is_torch_data_loader

ACCEPTED = ("numpy arrays, lists/tuples/dicts of arrays, Python lists of numbers, engine tensors (numpy, jax, "
            "torch, tensorflow), pandas DataFrame/Series, Python generators or iterators, core.utils.PyDataset "
            "(Sequence), tf.data.Dataset, torch.utils.data.DataLoader")


def _type_name(value):
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _is_iterator(x):
    return isinstance(x, collections.abc.Iterator)


def describe_source(x):
    """A short name for a batch source, as used in error messages; None for
    anything that is not one."""
    if isinstance(x, PyDataset):
        return "PyDataset"
    if is_tf_dataset(x):
        return "tf.data.Dataset"
    if is_torch_data_loader(x):
        return "torch DataLoader"
    if _is_iterator(x):
        return "generator"
    return None


def _check_args(batch_size, steps_per_epoch, shuffle, class_weight):
    for name, value in (("batch_size", batch_size), ("steps_per_epoch", steps_per_epoch)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"`{name}` must be a positive int or None; got {value!r}.")
    if isinstance(shuffle, str) and shuffle != "batch" or (
            not isinstance(shuffle, (str, bool, np.bool_)) and shuffle not in (0, 1)):
        raise ValueError(f'`shuffle` must be True, False or "batch"; got {shuffle!r}.')
    if class_weight is not None and not isinstance(class_weight, collections.abc.Mapping):
        raise TypeError(
            f"`class_weight` must be a dict mapping class index -> weight; got {_type_name(class_weight)}.")


def _unsupported(x):
    if is_structure(x):
        bad = sorted({_type_name(leaf) for leaf in flatten(x) if not is_array_leaf(leaf)})
        if not flatten(x):
            return ValueError(f"x is an empty {_type_name(x)}; pass arrays with at least one sample.")
        return TypeError(
            f"x is a {_type_name(x)} holding unsupported element type(s): {', '.join(bad)}. "
            f"Accepted input: {ACCEPTED}.")
    return TypeError(f"Unsupported input type for x: {_type_name(x)}. Accepted input: {ACCEPTED}.")


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None, shuffle=False,
                     class_weight=None):
    """The DataAdapter for x (and y / sample_weight when x is arrays).

    Generators, PyDatasets, tf.data datasets and DataLoaders produce whole
    batches, so y and sample_weight must come from them (a ValueError if
    passed), batch_size is ignored (as Keras 3 does) and so is shuffle, except
    for a PyDataset, whose batch order is shuffled. class_weight works for
    every source, batch by batch.
    """
    if isinstance(x, DataAdapter):
        return x
    if x is None:
        raise ValueError("No input data: x is None. Pass arrays, a generator, a PyDataset or a dataset.")
    _check_args(batch_size, steps_per_epoch, shuffle, class_weight)

    if is_array_structure(x):
        for name, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None and not is_array_structure(value):
                raise TypeError(
                    f"`{name}` must be arrays or tensors (or lists/dicts of them) when x is; "
                    f"got {_type_name(value)}.")
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, batch_size=batch_size, steps=steps_per_epoch,
                                shuffle=shuffle, class_weight=class_weight)

    source = describe_source(x)
    if source is None:
        raise _unsupported(x)
    for name, value, what in (("y", y, "targets"), ("sample_weight", sample_weight, "sample weights")):
        if value is not None:
            raise ValueError(
                f"When x is a {source}, `{name}` must not be passed: the {source} itself must yield the {what}, "
                "as batches (x, y) or (x, y, sample_weight).")
    if source == "PyDataset":
        return PyDatasetAdapter(x, shuffle=shuffle, class_weight=class_weight)
    if source == "tf.data.Dataset":
        return TFDatasetAdapter(x, class_weight=class_weight)
    if source == "torch DataLoader":
        return TorchDataLoaderAdapter(x, class_weight=class_weight)
    return GeneratorDataAdapter(x, class_weight=class_weight)
