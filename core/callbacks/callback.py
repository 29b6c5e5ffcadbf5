"""The Callback base class: hooks the training loops call at fixed points.

Every hook is a no-op here; subclasses override the ones they need. The trainer
hands each callback its model through `set_model` and the run's settings
(`verbose`, `epochs`, `steps`) through `set_params`.
"""


class Callback:
    """Base class for objects that watch (and may steer) fit, evaluate and predict.

    `self.model` is the model being trained; setting `self.model.stop_training = True`
    ends fit after the current batch/epoch. `self.params` is the dict given to
    `set_params`. Class-level defaults keep subclasses working when their `__init__`
    forgets to call `super().__init__()`.
    """

    model = None
    params = None

    def __init__(self):
        self.model = None
        self.params = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    # Keras 2 names for the training-batch hooks; the on_train_batch_* hooks below
    # call them so callbacks written against either spelling see every batch.
    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass
