"""`core.utils.PyDataset` (alias `Sequence`)."""

import collections
import concurrent.futures
import itertools
import operator
import warnings

import numpy as np

from .data_adapter import DataAdapter
from .data_utils import standardize_batch


class _OrderedPrefetcher:
    """Computes dataset[i] for the next indices on a thread pool, keeping up to
    `depth` batches in flight, and returns them in index order."""

    def __init__(self, dataset, indices, workers, depth):
        self._dataset = dataset
        self._indices = iter(indices)
        self._depth = max(depth, workers)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="PyDataset")
        self._pending = collections.deque()

    def __iter__(self):
        return self

    def __next__(self):
        while len(self._pending) < self._depth:
            index = next(self._indices, None)
            if index is None:
                break
            self._pending.append(self._pool.submit(operator.getitem, self._dataset, index))
        if not self._pending:
            self.close()
            raise StopIteration
        return self._pending.popleft().result()

    def wait(self):
        """Let the batches already started finish (before the dataset's hooks
        change its state under them)."""
        concurrent.futures.wait(list(self._pending))

    def close(self):
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


class PyDatasetAdapter(DataAdapter):
    """Reads a PyDataset by index; shuffle (True or "batch") permutes the order
    of the batches each pass with numpy's global RNG (finite datasets only)."""

    def __init__(self, dataset, shuffle=False, class_weight=None):
        self._dataset = dataset
        self._shuffle = bool(shuffle)
        self._class_weight = class_weight
        self._prefetcher = None
        workers, multiprocessing = dataset.workers, dataset.use_multiprocessing
        self._threads = workers if workers > 1 or (multiprocessing and workers > 0) else 0
        if multiprocessing and self._threads:
            warnings.warn(
                f"{type(dataset).__name__}: use_multiprocessing=True reads batches with {self._threads} thread(s) "
                "instead of processes (forking after the engine has started its own threads can deadlock).",
                stacklevel=3)

    @property
    def num_batches(self):
        return self._dataset.num_batches

    def get_iterator(self):
        count = self._dataset.num_batches
        if count is None:
            indices = itertools.count()
        elif self._shuffle:
            indices = np.random.permutation(count).tolist()
        else:
            indices = range(count)
        if not self._threads:
            for index in indices:
                yield standardize_batch(self._dataset[index], self._class_weight)
            return
        prefetcher = _OrderedPrefetcher(self._dataset, indices, self._threads, self._dataset.max_queue_size)
        self._prefetcher = prefetcher
        try:
            for batch in prefetcher:
                yield standardize_batch(batch, self._class_weight)
        finally:
            prefetcher.close()
            if self._prefetcher is prefetcher:
                self._prefetcher = None

    def on_epoch_begin(self):
        self._dataset.on_epoch_begin()

    def on_epoch_end(self):
        if self._prefetcher is not None:
            self._prefetcher.wait()
        self._dataset.on_epoch_end()
