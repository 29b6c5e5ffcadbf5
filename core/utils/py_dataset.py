"""`PyDataset` (alias `Sequence`): batches computed by Python code, by index.

Subclasses implement `__getitem__(index)` returning one whole batch (x,
(x, y) or (x, y, sample_weight)) and `__len__` returning the number of
batches. `fit`/`evaluate`/`predict` call the hooks `on_epoch_begin` and
`on_epoch_end` around every epoch, and can shuffle the order of the batches.

`workers`, `use_multiprocessing` and `max_queue_size` only configure how the
trainer reads the dataset: with workers > 1 the next `max_queue_size` batches
are computed ahead by a thread pool while the model trains, and handed over in
index order. use_multiprocessing=True also uses threads (with a warning):
forking a process after JAX, TensorFlow or PyTorch have started their own
threads can deadlock, and the safe start methods re-run unguarded user scripts
in every worker. Threads help whenever __getitem__ spends its time in I/O or in
numpy/native code that releases the GIL.

Keras 2's `Sequence` took no constructor arguments, so subclasses that never
call `super().__init__()` work too and get the defaults.
"""

import itertools

_DEFAULTS = {"workers": 1, "use_multiprocessing": False, "max_queue_size": 10}


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"PyDataset `{name}` must be an int >= {minimum}; got {value!r}.")
    return value


class PyDataset:
    """Base class for datasets that build each batch in Python code."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = _check_count("workers", workers, 0)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = _check_count("max_queue_size", max_queue_size, 1)

    # Read through getattr so subclasses that skip super().__init__() still work.
    @property
    def workers(self):
        return getattr(self, "_workers", _DEFAULTS["workers"])

    @workers.setter
    def workers(self, value):
        self._workers = _check_count("workers", value, 0)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", _DEFAULTS["use_multiprocessing"])

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", _DEFAULTS["max_queue_size"])

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = _check_count("max_queue_size", value, 1)

    def __getitem__(self, index):
        """The batch at position `index` (0 <= index < len(self))."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) returning one batch.")

    def __len__(self):
        """The number of batches."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ returning the number of batches (or override "
            "`num_batches` to return None for an endless dataset).")

    @property
    def num_batches(self):
        """The number of batches, or None for an endless dataset (override
        this property to return None; __getitem__ is then called with
        0, 1, 2, ... for as long as the trainer asks)."""
        return len(self)

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to reshuffle the samples)."""

    def __iter__(self):
        """Iterate over the batches in order (what a Keras 2 Sequence did)."""
        count = self.num_batches
        indices = itertools.count() if count is None else range(count)
        for index in indices:
            yield self[index]


Sequence = PyDataset
