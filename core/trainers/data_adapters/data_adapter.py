"""The interface every data adapter offers to EpochIterator."""


class DataAdapter:
    """Turns one kind of user data into passes of numpy batches.

    A pass is one walk over the data: `get_iterator()` returns a fresh one
    each call, yielding (x,), (x, y) or (x, y, sample_weight) tuples.
    Class attributes tell the EpochIterator how the source behaves when a
    pass ends in the middle of an epoch (only possible with steps_per_epoch):
    - `one_shot`: the source cannot be read twice (a Python generator), so a
      pass that ends means the data is used up for good;
    - `repeats`: the source is cheap to walk again without surprising the
      user (in-memory arrays), so the epoch carries on with a new pass.
    Other sources (PyDataset, tf.data, DataLoader) end the epoch early and
    start a new pass in the next epoch.
    """

    one_shot = False
    repeats = False
    batch_size = None

    @property
    def num_batches(self):
        """Batches in one pass, or None when unknown or endless."""
        return None

    def get_iterator(self):
        raise NotImplementedError

    def on_epoch_begin(self):
        """Called when an epoch starts."""

    def on_epoch_end(self):
        """Called when an epoch ends (even if it stopped early)."""
