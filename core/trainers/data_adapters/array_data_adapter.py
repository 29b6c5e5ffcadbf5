"""In-memory arrays: numpy, engine tensors, pandas, lists of numbers, and
lists/tuples/dicts of them."""

import math
import operator

import numpy as np

from .data_adapter import DataAdapter
from .data_utils import batch_tuple, class_weight_to_sample_weight, map_structure, num_samples, structure_to_numpy


class ArrayDataAdapter(DataAdapter):
    """Slices host copies of the arrays into batches.

    shuffle=True draws a new permutation from numpy's global RNG at the start
    of every pass (so `core.utils.set_random_seed` makes it repeatable);
    shuffle="batch" keeps the batches in order and permutes the samples inside
    each one (contiguous reads for HDF5-like data). Each batch is one fancy
    index (or a plain slice) per array.
    """

    repeats = True

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None):
        x, y, sample_weight = (structure_to_numpy(part) for part in (x, y, sample_weight))
        n = num_samples(x, y, sample_weight)
        if n == 0:
            raise ValueError("The input data has 0 samples; there is nothing to iterate over.")
        if class_weight is not None:
            sample_weight = class_weight_to_sample_weight(y, class_weight, sample_weight)
        if not batch_size:
            # As Keras: derive the batch size from steps, else 32.
            batch_size = math.ceil(n / steps) if steps else 32
        self._data = batch_tuple(x, y, sample_weight)
        self._num_samples = n
        self._shuffle = shuffle if shuffle == "batch" else bool(shuffle)
        self.batch_size = int(batch_size)

    @property
    def num_samples(self):
        return self._num_samples

    @property
    def num_batches(self):
        return math.ceil(self._num_samples / self.batch_size)

    def get_iterator(self):
        n, size = self._num_samples, self.batch_size
        order = np.random.permutation(n) if self._shuffle is True else None
        for start in range(0, n, size):
            stop = min(start + size, n)
            if order is not None:
                index = order[start:stop]
            elif self._shuffle == "batch":
                index = start + np.random.permutation(stop - start)
            else:
                index = slice(start, stop)
            yield map_structure(operator.itemgetter(index), self._data)
