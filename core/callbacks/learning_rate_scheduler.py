"""LearningRateScheduler: set the learning rate at the start of every epoch from a function."""

import inspect

from ._learning_rate import as_learning_rate, get_learning_rate
from .callback import Callback


def _takes_current_lr(schedule):
    """Whether `schedule` accepts (epoch, lr) rather than just (epoch)."""
    try:
        params = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the two-argument form
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


class LearningRateScheduler(Callback):
    """Calls `schedule(epoch, lr)` (or `schedule(epoch)`) at each epoch start, epoch
    0-based and lr the current rate as a float, and sets the optimizer's rate to the
    result. The rate in use is added to the epoch logs as `learning_rate`."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a callable schedule(epoch[, lr]) -> lr; "
                            f"got {type(schedule).__name__}.")
        self.schedule = schedule
        self.verbose = verbose
        self._with_lr = _takes_current_lr(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if self._with_lr:
            lr = self.schedule(epoch, get_learning_rate(optimizer))
        else:
            lr = self.schedule(epoch)
        lr = as_learning_rate(lr, "The LearningRateScheduler schedule function")
        optimizer.learning_rate = lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer)
