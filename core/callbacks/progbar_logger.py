"""ProgbarLogger: prints the `Epoch 1/10` line and the progress bar of fit, evaluate and predict."""

from ..distribution.context import is_chief
from ..utils.progbar import Progbar
from .callback import Callback


class ProgbarLogger(Callback):
    """Prints progress to stdout as Keras 3 does; the trainer adds one when verbose is on.

    Reads `verbose` ("auto" means 1), `epochs` and `steps` (None when unknown) from
    the params. Log values are shown as given (the trainer's logs are already running
    averages). Validation inside fit prints nothing of its own.
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.seen = 0
        self.progbar = None
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        if not is_chief():  # in a multi-process job only rank 0 prints
            self.verbose = 0
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._new_bar()

    def on_predict_batch_end(self, batch, logs=None):
        # Predict's batch logs hold the outputs, not metrics: show only the count.
        self._advance(batch, None)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _new_bar(self):
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, stateless_metrics=(), unit_name="step")

    def _advance(self, batch, logs):
        if self.progbar is None:
            self._new_bar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self.progbar is None:
            self._new_bar()
        if self.target is None:
            # Unknown length: the first pass counts the steps; later epochs show a full bar.
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
