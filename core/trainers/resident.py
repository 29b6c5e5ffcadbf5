"""Training data that lives on the engine for the whole fit.

When fit() gets in-memory arrays, moving each batch from the host costs a
conversion per step (about 0.1-0.5 ms on jax and TensorFlow, more than the
step itself for small models, and a host-to-device copy on a GPU). Instead
the arrays are converted once per fit; each epoch sends only its shuffled
order (an int32 vector) and the compiled step gathers its own rows by
position, so a step needs nothing from the host. `steps_per_execution`
consecutive steps then run in one compiled call.

Batches and shuffling are exactly those of the array adapter (the same
permutation from numpy's global RNG), so a seeded fit gives the same weights
either way. The last, smaller batch of an epoch runs through the ordinary
host path (its shape differs; compiling for it once is no cheaper).
"""

import numpy as np

import kbackend as K
from kbackend import tree

from ..distribution.context import active_binding
from .data_adapters.array_data_adapter import ArrayDataAdapter

# above this the data stays on the host (a device may not hold it twice)
MAX_RESIDENT_BYTES = 1 << 30


class ResidentData:
    """The adapter's arrays as engine tensors, and the plan of each epoch."""

    def __init__(self, adapter, convert):
        self._adapter = adapter
        self.host = adapter._data
        self.tensors = convert(self.host)
        self.batch_size = adapter.batch_size
        self.num_samples = adapter.num_samples
        self.full_batches = self.num_samples // self.batch_size

    @classmethod
    def for_fit(cls, iterator, convert):
        """A ResidentData for this fit, or None where the host path must run:
        data other than arrays, steps_per_epoch (epochs that wrap around the
        data), shuffle="batch", a distribution, or data too large."""
        adapter = iterator.data_adapter
        if type(adapter) is not ArrayDataAdapter or iterator.steps_per_epoch is not None:
            return None
        if adapter._shuffle not in (True, False) or active_binding() is not None:
            return None
        leaves = [a for a in tree.flatten(adapter._data)[0] if a is not None]
        if not leaves or not all(isinstance(a, np.ndarray) and a.ndim >= 1 for a in leaves):
            return None
        if sum(a.nbytes for a in leaves) > MAX_RESIDENT_BYTES:
            return None
        data = cls(adapter, convert)
        return data if data.full_batches > 0 else None

    def epoch_order(self):
        """This epoch's sample order on the host (the adapter's RNG draw)."""
        self._adapter.on_epoch_begin()
        if self._adapter._shuffle:
            return np.random.permutation(self.num_samples)
        return np.arange(self.num_samples)

    def executions(self, steps_per_execution):
        """(first step, number of steps) for each compiled call over the full batches."""
        k = max(1, int(steps_per_execution))
        return [(first, min(k, self.full_batches - first)) for first in range(0, self.full_batches, k)]

    def remainder(self, order):
        """The last, smaller batch as host arrays, or None."""
        start = self.full_batches * self.batch_size
        if start >= self.num_samples:
            return None
        return self._host_rows(order[start:])

    def first_batch(self, order):
        return self._host_rows(order[:self.batch_size])

    def _host_rows(self, index):
        return tree.map_structure(lambda a: None if a is None else a[index], self.host)

    @staticmethod
    def batch(data, order, step, batch_size):
        """Inside a compiled step: the rows of batch `step` (an int tensor)."""
        rows = K.slice(order, [K.multiply(step, batch_size)], [batch_size])
        return tree.map_structure(lambda a: None if a is None else K.gather(a, rows), data)
