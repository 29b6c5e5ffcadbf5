"""`tf.data.Dataset`, read as numpy on every engine."""

import sys

from .data_adapter import DataAdapter
from .data_utils import standardize_batch

_INFINITE = -1  # tf.data.INFINITE_CARDINALITY; -2 means unknown


def is_tf_dataset(x):
    """True for a tf.data.Dataset; never imports TensorFlow (a user holding a
    dataset has already imported it)."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return False
    try:
        return isinstance(x, tf.data.Dataset)
    except AttributeError:  # a partially imported or stubbed module
        return False


class TFDatasetAdapter(DataAdapter):
    """Each element of the dataset is one batch (batch it with .batch() first)."""

    def __init__(self, dataset, class_weight=None):
        self._dataset = dataset
        self._class_weight = class_weight
        cardinality = int(dataset.cardinality())
        self._num_batches = cardinality if cardinality >= 0 else None
        self.infinite = cardinality == _INFINITE

    @property
    def num_batches(self):
        return self._num_batches

    def get_iterator(self):
        for element in self._dataset.as_numpy_iterator():
            yield standardize_batch(element, self._class_weight)
