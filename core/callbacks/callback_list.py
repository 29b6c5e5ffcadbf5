"""CallbackList: one object the trainer talks to, fanning each hook out to many callbacks."""

import numpy as np

import kbackend as K

from .callback import Callback
from .history import History
from .progbar_logger import ProgbarLogger


def _to_python(value):
    """A log value as the callbacks expect it: a Python float where it is a scalar."""
    if value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (int, float, np.number)):
        return float(value)
    try:
        array = np.asarray(K.convert_to_numpy(value))
    except (TypeError, ValueError):
        return value
    return float(array.reshape(-1)[0]) if array.size == 1 else array


def _pythonify(logs):
    """A fresh dict of Python values, keys sorted (the order Keras displays them in),
    nested dicts merged into the top level. One dict is shared by every callback of a
    hook, so a value one callback adds (`learning_rate`) reaches the later ones."""
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(_pythonify(value))
        else:
            result[key] = _to_python(value)
    return result


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flatten(item)]
    if isinstance(callbacks, type):
        raise TypeError(f"callbacks must be Callback instances; got the class {callbacks.__name__}. "
                        f"Instantiate it first: {callbacks.__name__}(...).")
    if not isinstance(callbacks, Callback):
        raise TypeError(f"callbacks must be Callback instances (subclass core.callbacks.Callback); "
                        f"got {type(callbacks).__name__}.")
    return [callbacks]


class CallbackList(Callback):
    """Holds the callbacks of one fit/evaluate/predict call and forwards every hook to each.

    `add_history` appends a History and `add_progbar` a ProgbarLogger unless the
    user already passed one. Extra keyword arguments become the params dict.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.extend(_flatten(callback))

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, logs):
        logs = _pythonify(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(logs)

    def _call_epoch(self, hook, epoch, logs):
        logs = _pythonify(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(epoch, logs)

    def _call_batch(self, hook, batch, logs):
        # `logs=` by keyword, as Keras passes it to batch hooks.
        logs = _pythonify(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_batch("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_epoch("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call_epoch("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)
