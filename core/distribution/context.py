"""The active distribution (one per process), and what the trainer asks of it."""

from .distribution_lib import Distribution

_active = None


def set_distribution(value):
    """Make `value` (a DataParallel / ModelParallel, or None) the distribution
    fit/evaluate/predict use. Set it before the first fit; with TensorFlow,
    before building the model is not required (the step is pure)."""
    global _active
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"set_distribution expects a DataParallel, ModelParallel or None; got "
                        f"{type(value).__name__}.")
    _active = value


def distribution():
    """The active distribution, or None."""
    return _active


def active_binding():
    """The engine binding of the active distribution (None when there is none):
    the trainer's hooks call it."""
    return None if _active is None else _active._binding()


def is_chief():
    """True in the process that prints progress and writes files (rank 0)."""
    binding = active_binding()
    return True if binding is None else binding.is_chief
