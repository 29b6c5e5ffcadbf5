"""History: the per-epoch logs of a fit call, returned by `fit`."""

from .callback import Callback


class History(Callback):
    """Records every epoch's logs: `history[name]` is the list of per-epoch values and
    `epoch` the list of epoch indices. The trainer adds one to every fit call."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        # A History reused across fit calls keeps extending `history` (as Keras does);
        # `epoch` lists the epochs of the latest call.
        self.epoch = []
        self._attach()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        self._attach()

    def _attach(self):
        if self.model is not None:
            self.model.history = self
