"""TerminateOnNaN: stop training as soon as a batch's loss is NaN or infinite."""

import math

from .callback import Callback


class TerminateOnNaN(Callback):
    """Sets `model.stop_training` when the batch loss is not finite, or raises a
    RuntimeError with `raise_error=True`."""

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               f"Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
