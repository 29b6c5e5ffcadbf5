"""The LearningRateSchedule base class: a function of the optimizer's step.

An optimizer calls `schedule(iterations)` at every update, inside compiled
code too, so `__call__` must compute with K ops only (no Python branches on
the step's value).
"""

import kbackend as K


class LearningRateSchedule:
    """Subclasses implement `__call__(step)` and, to be saved, `get_config()`."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(self, step), returning the "
                                  "learning rate at that step computed with K ops.")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def float_step(step):
    """The step (a Python int, a tensor or the iterations Variable) as a floatx tensor."""
    return K.cast(step, K.floatx())


def check_positive(name, value):
    if value <= 0:
        raise ValueError(f"`{name}` must be > 0; got {name}={value}.")
