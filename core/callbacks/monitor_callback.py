"""MonitorCallback: shared logic of the callbacks that watch one logged quantity
(EarlyStopping, ModelCheckpoint, ReduceLROnPlateau): which direction is better
and whether a new value is an improvement."""

import warnings

from .callback import Callback

# Quantities where higher is better; anything else (losses, errors) is minimised.
# Matched as substrings of the name without its `val_` prefix, as Keras 2 did for "acc".
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "fmeasure", "f1_score", "fbeta_score", "iou",
                     "r2_score", "cosine_similarity", "true_positives", "true_negatives")


def infer_mode(monitor):
    """`"max"` or `"min"` for `monitor` under mode="auto"."""
    name = monitor.removeprefix("val_")
    if name.endswith("loss"):
        return "min"
    return "max" if any(word in name for word in _HIGHER_IS_BETTER) else "min"


class MonitorCallback(Callback):
    """Base for callbacks comparing `logs[monitor]` against the best value so far.

    An unknown `mode` falls back to "auto" with a warning, as in Keras. A value counts
    as an improvement when it beats the reference by more than `abs(min_delta)`.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__}: mode={mode!r} is unknown (use 'auto', 'min' or 'max'); "
                          f"falling back to 'auto'.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)

    @property
    def _maximize(self):
        return (infer_mode(self.monitor) if self.mode == "auto" else self.mode) == "max"

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self._maximize:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def _monitored_value(self, logs, what):
        """`logs[monitor]`, or None with a warning naming what is available."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"{what} is conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs)}.", stacklevel=3)
        return value
