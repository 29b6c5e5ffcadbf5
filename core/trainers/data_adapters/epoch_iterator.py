"""`EpochIterator`: the batches of one epoch at a time, for fit/evaluate/predict.

Without steps_per_epoch an epoch is one full pass over the data.

With steps_per_epoch an epoch is that many batches, and the position in the
data carries over from one epoch to the next (as in Keras): with 10 batches
of data and steps_per_epoch=4, epoch 2 reads batches 4-7. When the data runs
out in the middle of an epoch:
- arrays wrap around: a new (reshuffled) pass fills the rest of the epoch;
- a PyDataset, tf.data.Dataset or DataLoader ends that epoch early with a
  warning (as Keras 3 does) and the next epoch starts a new pass;
- a generator cannot be restarted: a warning says training is interrupted,
  `exhausted` becomes True (the trainer stops on it) and any further epoch
  yields nothing instead of hanging.
"""

import warnings

from ...distribution.context import active_binding
from .adapter_selection import describe_source, get_data_adapter


class EpochIterator:
    """Batches for fit/evaluate/predict: `enumerate_epoch()` yields
    (step, batch) for one epoch, batch being (x,), (x, y) or
    (x, y, sample_weight) of numpy arrays in the user's structure.

    `steps_per_execution` is kept for the trainer, which groups that many
    consecutive batches per compiled call; the batches themselves come one by
    one.
    """

    def __init__(self, x=None, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None, shuffle=False,
                 class_weight=None, steps_per_execution=1):
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or (
                steps_per_execution < 1):
            raise ValueError(f"`steps_per_execution` must be a positive int; got {steps_per_execution!r}.")
        self.data_adapter = get_data_adapter(
            x, y, sample_weight=sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
            shuffle=shuffle, class_weight=class_weight)
        if steps_per_epoch is None and getattr(self.data_adapter, "infinite", False):
            raise ValueError(
                "The tf.data.Dataset repeats forever, so an epoch would never end: pass `steps_per_epoch` "
                "(and `validation_steps` / `steps` for validation, evaluate and predict).")
        self.steps_per_epoch = steps_per_epoch
        self.steps_per_execution = steps_per_execution
        self.exhausted = False
        self._source = describe_source(x) or "input"
        self._stream = None
        self._counted_batches = None

    @property
    def num_batches(self):
        """Batches per epoch; None while unknown (a generator before its first
        complete pass, without steps_per_epoch)."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        count = self.data_adapter.num_batches
        return count if count is not None else self._counted_batches

    def reset(self):
        """Forget the position in the data: the next epoch starts a new pass
        (a generator still continues where it is: it cannot rewind)."""
        if self._stream is not None:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
            self._stream = None

    def enumerate_epoch(self):
        """Yield (step, batch) for the batches of one epoch."""
        if self.exhausted:
            return
        if getattr(self.data_adapter, "consumed", False):
            self._interrupt("the generator was used up by an earlier epoch")
            return
        binding = active_binding()
        if binding is not None:  # processes that each read their share must shuffle alike
            binding.sync_host_rng()
        self.data_adapter.on_epoch_begin()
        try:
            if self.steps_per_epoch is None:
                yield from self._full_pass()
            else:
                yield from self._fixed_steps(self.steps_per_epoch)
        finally:
            self.data_adapter.on_epoch_end()

    def _full_pass(self):
        self.reset()
        self._stream = iter(self.data_adapter.get_iterator())
        step = 0
        for batch in self._stream:
            yield step, batch
            step += 1
        self._stream = None
        self._counted_batches = step

    def _fixed_steps(self, steps):
        adapter = self.data_adapter
        step = 0
        fresh = False  # the current pass was opened in this epoch and has given nothing yet
        while step < steps:
            if self._stream is None:
                self._stream = iter(adapter.get_iterator())
                fresh = True
            try:
                batch = next(self._stream)
            except StopIteration:
                self._stream = None
                if adapter.one_shot:
                    self._interrupt(f"it ran out after {step} of steps_per_epoch={steps} batches in this epoch")
                    return
                # A pass that ended exactly at the last epoch's boundary simply restarts; arrays always wrap.
                if not fresh and (adapter.repeats or step == 0):
                    continue
                warnings.warn(
                    f"The {self._source} ran out of data after {step} of steps_per_epoch={steps} batches; this "
                    "epoch ends early and the next one starts a new pass. Lower steps_per_epoch to at most the "
                    "number of batches per pass, or repeat the data (e.g. dataset.repeat()).", stacklevel=3)
                return
            fresh = False
            yield step, batch
            step += 1

    def _interrupt(self, why):
        self.exhausted = True
        warnings.warn(
            f"The {self._source} ran out of data ({why}); interrupting training. A generator is read only once: "
            "make it yield at least steps_per_epoch * epochs batches (e.g. loop forever), or pass arrays or a "
            "PyDataset, which can be read again every epoch.", stacklevel=3)
