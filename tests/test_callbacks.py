"""core.callbacks driven by hand with scripted logs against a small stand-in model.

The stand-in has what the trainer's model offers the callbacks: `stop_training`,
an optimizer whose `learning_rate` is a K.Variable, get/set_weights, save,
save_weights and load_weights (a small JSON file), and `history`.
"""

import csv
import json
import math
import os
import re
import warnings

import numpy as np
import pytest

import kbackend as K
from core import callbacks
from core.utils import progbar as progbar_module

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class StandInOptimizer:
    def __init__(self, learning_rate):
        self._lr = K.Variable(learning_rate)

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr.assign(value)


class StandInModel:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = StandInOptimizer(learning_rate)
        self.weights = [np.zeros((2, 2), "float32"), np.zeros(2, "float32")]
        self.history = None
        self.saved = []  # (method, filepath, overwrite)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, "float32") for w in weights]

    def save(self, filepath, overwrite=True):
        self.saved.append(("save", filepath, overwrite))

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("save_weights", filepath, overwrite))
        with open(filepath, "w") as f:
            json.dump([w.tolist() for w in self.weights], f)

    def load_weights(self, filepath):
        try:
            with open(filepath) as f:
                self.set_weights(json.load(f))
        except json.JSONDecodeError as e:
            raise OSError(f"unreadable weights file {filepath}") from e


def lr_of(model):
    return float(K.convert_to_numpy(model.optimizer.learning_rate))


def fit(callback, model, epoch_logs, weights_per_epoch=False):
    """Drive fit's epoch hooks with one logs dict per epoch; returns the epochs run."""
    callback.set_model(model)
    callback.on_train_begin({})
    ran = []
    for epoch, logs in enumerate(epoch_logs):
        callback.on_epoch_begin(epoch, {})
        if weights_per_epoch:  # the weights "learned" in this epoch: all equal to the epoch index
            model.set_weights([np.full_like(w, epoch) for w in model.weights])
        callback.on_epoch_end(epoch, dict(logs))
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran


def losses(*values, name="val_loss"):
    return [{name: v} for v in values]


# ---------------------------------------------------------------- Callback, CallbackList, History

def test_keras2_batch_hooks_see_training_batches():
    seen = []

    class Keras2Style(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"]))

    cb = Keras2Style()
    cb.on_train_batch_begin(0, {})
    cb.on_train_batch_end(0, {"loss": 0.5})
    cb.on_test_batch_end(0, {"loss": 9.0})  # not a training batch
    assert seen == [("begin", 0), ("end", 0, 0.5)]


def test_subclass_without_super_init_still_has_model_and_params():
    class NoInit(callbacks.Callback):
        def __init__(self):
            pass

    cb = NoInit()
    assert cb.model is None and cb.params is None
    cb.set_params({"epochs": 3})
    assert cb.params == {"epochs": 3}


def test_callback_list_forwards_every_hook_in_order():
    calls = []

    class Recorder(callbacks.Callback):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def __getattribute__(self, attr):
            if not attr.startswith("on_"):
                return object.__getattribute__(self, attr)
            name = object.__getattribute__(self, "name")

            def hook(*args, **kwargs):
                # (callback, hook, index if any, whether logs came by keyword)
                calls.append((name, attr, args[:-1] if not kwargs else args, "logs" in kwargs))
            return hook

    cbs = callbacks.CallbackList([Recorder("a"), Recorder("b")])
    plain = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"]
    epochs = ["on_epoch_begin", "on_epoch_end"]
    batches = ["on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
               "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"]
    for hook in plain:
        getattr(cbs, hook)({})
    for i, hook in enumerate(epochs + batches):
        getattr(cbs, hook)(i, {})
    # Batch hooks get logs by keyword (as Keras passes them), the others positionally.
    expected = [(n, h, (), False) for h in plain for n in "ab"]
    expected += [(n, h, (i,), h in batches) for i, h in enumerate(epochs + batches) for n in "ab"]
    assert calls == expected


def test_callback_list_adds_history_and_progbar_once_and_sets_model_and_params():
    model = StandInModel()
    cbs = callbacks.CallbackList(None, add_history=True, add_progbar=True, model=model, verbose=0, epochs=2,
                                 steps=5)
    kinds = [type(cb) for cb in cbs]
    assert kinds == [callbacks.History, callbacks.ProgbarLogger] and len(cbs) == 2
    assert all(cb.model is model for cb in cbs)
    assert all(cb.params == {"verbose": 0, "epochs": 2, "steps": 5} for cb in cbs)
    assert model.history is cbs.callbacks[0]

    own_history, own_bar = callbacks.History(), callbacks.ProgbarLogger()
    cbs = callbacks.CallbackList([own_bar, own_history], add_history=True, add_progbar=True, model=model)
    assert cbs.callbacks == [own_bar, own_history] and model.history is own_history

    stop = callbacks.TerminateOnNaN()
    cbs.append(stop)
    cbs.set_params({"verbose": 1, "epochs": 1, "steps": None})
    assert list(cbs)[-1] is stop and stop.params["verbose"] == 1


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match=r"Instantiate it first: EarlyStopping\(\.\.\.\)"):
        callbacks.CallbackList([callbacks.EarlyStopping])
    with pytest.raises(TypeError, match="Callback instances.*got str"):
        callbacks.CallbackList(["early_stopping"])


def test_callback_list_gives_python_floats_sorted_and_shared_between_callbacks():
    received = []
    cbs = callbacks.CallbackList([callbacks.LambdaCallback(on_epoch_end=lambda e, logs: received.append(logs)),
                                  callbacks.LambdaCallback(on_epoch_end=lambda e, logs: received.append(logs))])
    logs = {"loss": K.convert_to_tensor(np.float32(0.25)), "accuracy": np.float64(0.5),
            "out": {"out_mae": K.convert_to_tensor(np.array([2.0], "float32"))}, "count": 3}
    cbs.on_epoch_end(0, logs)
    first, second = received
    assert first is second  # one dict per hook: what one callback adds, the next sees
    assert list(first) == ["accuracy", "count", "loss", "out_mae"]
    assert all(type(v) is float for v in first.values())
    assert first == {"accuracy": 0.5, "count": 3.0, "out_mae": 2.0, "loss": 0.25}
    assert first is not logs and "out_mae" not in logs  # the trainer's own dict is untouched


def test_history_records_every_epoch_and_attaches_to_the_model():
    model = StandInModel()
    history = callbacks.History()
    epoch_logs = [{"loss": 1.0 / (e + 1), "val_loss": 2.0 / (e + 1)} for e in range(3)]
    fit(history, model, epoch_logs)
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.0, 1 / 2, 1 / 3], "val_loss": [2.0, 1.0, 2 / 3]}


def test_learning_rate_added_by_a_callback_reaches_history():
    model = StandInModel(learning_rate=0.5)
    cbs = callbacks.CallbackList([callbacks.LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1))],
                                 add_history=True, model=model)
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    np.testing.assert_allclose(model.history.history["learning_rate"], [0.5, 0.25, 0.5 / 3], rtol=1e-6)


# ---------------------------------------------------------------- EarlyStopping

@pytest.mark.parametrize("kwargs, logs, expected_last_epoch", [
    # min, patience 2: best 0.9 at epoch 1; epochs 2, 3 do not improve -> stop after epoch 3.
    ({"patience": 2}, losses(1.0, 0.9, 0.95, 0.91, 0.92, 0.5), 3),
    # patience 0: the first epoch that does not improve stops.
    ({}, losses(1.0, 0.8, 0.7, 0.75, 0.6), 3),
    # min_delta 0.05: 0.97 and 0.96 are not better than 1.0 by more than 0.05.
    ({"min_delta": 0.05, "patience": 2}, losses(1.0, 0.97, 0.96, 0.90), 2),
    # negative min_delta counts by its size, as Keras does.
    ({"min_delta": -0.05, "patience": 1}, losses(1.0, 0.97, 0.5), 1),
    # mode auto on an accuracy maximises: best 0.6 at epoch 1, epochs 2 and 3 lower.
    ({"monitor": "val_accuracy", "patience": 2}, losses(0.5, 0.6, 0.55, 0.58, 0.7, name="val_accuracy"), 3),
    # explicit mode="max" on any name.
    ({"monitor": "score", "mode": "max", "patience": 1}, losses(1.0, 2.0, 1.5, 3.0, name="score"), 2),
    # mode auto on an unknown name minimises (Keras 2's rule).
    ({"monitor": "val_mae", "patience": 1}, losses(0.5, 0.6, 0.4, name="val_mae"), 1),
    # baseline 0.7 never beaten: the improving epochs 0-1 do not restart the wait -> stop at epoch 2.
    ({"monitor": "val_accuracy", "baseline": 0.7, "patience": 2}, losses(0.5, 0.6, 0.55, 0.56, name="val_accuracy"), 2),
    # without the baseline the same values run on: waits 0, 0, 1, 2 -> stop at epoch 3.
    ({"monitor": "val_accuracy", "patience": 2}, losses(0.5, 0.6, 0.55, 0.56, 0.4, name="val_accuracy"), 3),
    # baseline 0.55 beaten at epoch 1 restarts the wait there: waits 1, 0, 1, 2 -> stop at epoch 3.
    ({"monitor": "val_accuracy", "baseline": 0.55, "patience": 2},
     losses(0.5, 0.6, 0.58, 0.59, 0.7, name="val_accuracy"), 3),
    # start_from_epoch 2: rising values in epochs 0-1 are ignored; epoch 3 is the first non-improvement.
    ({"start_from_epoch": 2}, losses(1.0, 2.0, 3.0, 4.0, 5.0), 3),
    ({"start_from_epoch": 0}, losses(1.0, 2.0, 3.0, 4.0, 5.0), 1),
])
def test_early_stopping_stops_at_the_right_epoch(kwargs, logs, expected_last_epoch):
    model = StandInModel()
    stopper = callbacks.EarlyStopping(**kwargs)
    ran = fit(stopper, model, logs)
    assert ran[-1] == expected_last_epoch and model.stop_training
    assert stopper.stopped_epoch == expected_last_epoch


def test_early_stopping_runs_on_while_improving():
    model = StandInModel()
    ran = fit(callbacks.EarlyStopping(patience=1), model, losses(5.0, 4.0, 3.0, 2.0))
    assert ran == [0, 1, 2, 3] and not model.stop_training


def test_early_stopping_restores_the_best_weights(capsys):
    model = StandInModel()
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    ran = fit(stopper, model, losses(1.0, 0.5, 0.7, 0.6, 0.1), weights_per_epoch=True)
    assert ran == [0, 1, 2, 3] and stopper.best_epoch == 1 and stopper.best == 0.5
    for w in model.get_weights():
        np.testing.assert_array_equal(w, np.ones_like(w))  # epoch 1's weights
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


def test_early_stopping_without_restore_keeps_the_last_weights():
    model = StandInModel()
    fit(callbacks.EarlyStopping(patience=1), model, losses(1.0, 0.5, 0.7), weights_per_epoch=True)
    np.testing.assert_array_equal(model.get_weights()[0], np.full((2, 2), 2.0))


def test_early_stopping_warns_when_the_monitor_is_missing():
    model = StandInModel()
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss"):
        ran = fit(callbacks.EarlyStopping(), model, [{"loss": 1.0}, {"loss": 2.0}])
    assert ran == [0, 1] and not model.stop_training


def test_unknown_mode_falls_back_to_auto_with_a_warning():
    with pytest.warns(UserWarning, match="mode='minimum' is unknown"):
        stopper = callbacks.EarlyStopping(mode="minimum")
    assert stopper.mode == "auto"


# ---------------------------------------------------------------- ReduceLROnPlateau

def test_reduce_lr_on_plateau_respects_patience_cooldown_and_min_lr():
    model = StandInModel(learning_rate=0.1)
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=0.02)
    reducer.set_model(model)
    reducer.on_train_begin()
    lrs = []
    for epoch in range(12):
        reducer.on_epoch_end(epoch, {"val_loss": 1.0})  # never improves after epoch 0
        lrs.append(lr_of(model))
    # Waits: e1 1, e2 2 -> halve, cooldown 2; e3 in cooldown; e4 cooldown over, wait 1; e5 2 -> halve;
    # e6 cooldown; e7 wait 1; e8 2 -> 0.0125 clipped to min_lr 0.02; e11 would reduce but the rate is at min_lr.
    expected = [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)


def test_reduce_lr_improvements_reset_the_wait_and_min_delta_counts():
    model = StandInModel(learning_rate=1.0)
    reducer = callbacks.ReduceLROnPlateau(patience=1, factor=0.1, monitor="loss")
    # Improvements by 0.1 (> min_delta 1e-4) never reduce; then steps of 1e-5 count as no improvement.
    fit(reducer, model, losses(1.0, 0.9, 0.8, 0.7, name="loss"))
    assert lr_of(model) == pytest.approx(1.0)
    fit(reducer, model, losses(1.0, 1.0 - 1e-5, 1.0 - 2e-5, name="loss"))
    # Epoch 1 reduces (wait 1 >= patience), epoch 2 again (no cooldown).
    assert lr_of(model) == pytest.approx(0.01, rel=1e-5)


def test_reduce_lr_max_mode_for_accuracy_and_logs_the_rate():
    model = StandInModel(learning_rate=0.2)
    reducer = callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=1, factor=0.5)
    logs = [{"val_accuracy": a} for a in (0.5, 0.6, 0.4)]
    reducer.set_model(model)
    reducer.on_train_begin()
    for epoch, entry in enumerate(logs):
        reducer.on_epoch_end(epoch, entry)
    assert [entry["learning_rate"] for entry in logs] == pytest.approx([0.2, 0.2, 0.2])  # the rate during the epoch
    assert lr_of(model) == pytest.approx(0.1)  # 0.4 < 0.6: reduced at epoch 2


def test_reduce_lr_verbose_message(capsys):
    model = StandInModel(learning_rate=0.1)
    fit(callbacks.ReduceLROnPlateau(patience=0, factor=0.5, verbose=1), model, losses(1.0, 1.0))
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05" in capsys.readouterr().out


def test_reduce_lr_keras2_epsilon_and_bad_arguments():
    with pytest.warns(DeprecationWarning, match="min_delta"):
        reducer = callbacks.ReduceLROnPlateau(epsilon=0.01)
    assert reducer.min_delta == 0.01
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(TypeError, match="unexpected keyword arguments: patiance"):
        callbacks.ReduceLROnPlateau(patiance=3)


# ---------------------------------------------------------------- LearningRateScheduler

def test_scheduler_with_epoch_only():
    model = StandInModel(learning_rate=1.0)
    scheduler = callbacks.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch)
    scheduler.set_model(model)
    for epoch in range(4):
        scheduler.on_epoch_begin(epoch)
        assert lr_of(model) == pytest.approx(0.1 * 0.5 ** epoch, rel=1e-6)


def test_scheduler_with_epoch_and_current_rate():
    model = StandInModel(learning_rate=0.3)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9 if epoch > 0 else lr)
    scheduler.set_model(model)
    reference = np.float32(0.3)
    for epoch in range(5):
        scheduler.on_epoch_begin(epoch)
        if epoch > 0:  # the rate is read back from a float32 variable each epoch
            reference = np.float32(float(reference) * 0.9)
        assert lr_of(model) == pytest.approx(float(reference), rel=1e-7)


def test_scheduler_accepts_an_engine_tensor_and_logs_the_rate(capsys):
    model = StandInModel(learning_rate=0.3)
    scheduler = callbacks.LearningRateScheduler(lambda epoch: K.convert_to_tensor(np.float32(0.125)), verbose=1)
    scheduler.set_model(model)
    scheduler.on_epoch_begin(2)
    logs = {}
    scheduler.on_epoch_end(2, logs)
    assert logs == {"learning_rate": 0.125}
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.125." in capsys.readouterr().out


def test_scheduler_rejects_a_non_number():
    model = StandInModel()
    scheduler = callbacks.LearningRateScheduler(lambda epoch: "fast")
    scheduler.set_model(model)
    with pytest.raises(ValueError, match="must return a float learning rate; got 'fast'"):
        scheduler.on_epoch_begin(0)
    with pytest.raises(TypeError, match="callable"):
        callbacks.LearningRateScheduler(0.1)


# ---------------------------------------------------------------- ModelCheckpoint

def test_checkpoint_formats_the_path_every_epoch(tmp_path):
    model = StandInModel()
    pattern = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.2f}.keras")
    fit(callbacks.ModelCheckpoint(pattern), model, losses(0.5, 0.4, 0.456))
    names = ["m-01-0.50.keras", "m-02-0.40.keras", "m-03-0.46.keras"]
    assert model.saved == [("save", str(tmp_path / "ckpt" / n), True) for n in names]
    assert (tmp_path / "ckpt").is_dir()  # the folder is made for the model's writer


def test_checkpoint_save_best_only_saves_on_improvement(tmp_path, capsys):
    model = StandInModel()
    pattern = str(tmp_path / "w-{epoch}.weights.h5")
    checkpoint = callbacks.ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True, verbose=1)
    fit(checkpoint, model, losses(0.5, 0.6, 0.4, 0.4, 0.3))
    assert [(m, os.path.basename(p)) for m, p, _ in model.saved] == [
        ("save_weights", "w-1.weights.h5"), ("save_weights", "w-3.weights.h5"), ("save_weights", "w-5.weights.h5")]
    out = capsys.readouterr().out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    assert f"Epoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {tmp_path}" in out


def test_checkpoint_max_mode_and_initial_value_threshold(tmp_path):
    model = StandInModel()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}.keras"), monitor="val_accuracy",
                                           save_best_only=True, initial_value_threshold=0.6)
    fit(checkpoint, model, losses(0.5, 0.65, 0.62, 0.7, name="val_accuracy"))
    assert [os.path.basename(p) for _, p, _ in model.saved] == ["2.keras", "4.keras"]


def test_checkpoint_every_n_batches(tmp_path):
    model = StandInModel()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=2)
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch in range(2):
        checkpoint.on_epoch_begin(epoch)
        for batch in range(5):
            checkpoint.on_train_batch_end(batch, {"loss": 1.0})
        checkpoint.on_epoch_end(epoch, {"loss": 1.0})
    # A save every 2 batches counted across epochs: after batches 2, 4 of epoch 1 and 1, 3, 5 of epoch 2.
    assert [os.path.basename(p) for _, p, _ in model.saved] == [
        "e1-b2.keras", "e1-b4.keras", "e2-b1.keras", "e2-b3.keras", "e2-b5.keras"]


def test_checkpoint_errors(tmp_path):
    model = StandInModel()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    checkpoint.set_model(model)
    with pytest.raises(KeyError, match="val_acc"):
        checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("m.keras", save_freq="batch")
    folder = callbacks.ModelCheckpoint(str(tmp_path))
    folder.set_model(model)
    with pytest.raises(IsADirectoryError, match="existing directory"):
        folder.on_epoch_end(0, {"val_loss": 1.0})


# ---------------------------------------------------------------- CSVLogger

def read_rows(path, separator=","):
    with open(path, newline="") as f:
        text = f.read()
    assert text.endswith("\r\n")  # the csv module's Excel dialect, as Keras writes
    return list(csv.reader(text.splitlines(), delimiter=separator))


def test_csv_logger_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    epoch_logs = [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75}, {"loss": 0.125, "accuracy": 0.5}]
    fit(callbacks.CSVLogger(path), StandInModel(), epoch_logs)
    assert read_rows(path) == [["epoch", "accuracy", "loss", "val_loss"], ["0", "0.25", "0.5", "0.75"],
                               ["1", "0.5", "0.125", "NA"]]


def test_csv_logger_adds_val_columns_and_separator(tmp_path):
    path = tmp_path / "log.csv"
    fit(callbacks.CSVLogger(path, separator=";"), StandInModel(), [{"loss": 2.0}])
    assert read_rows(path, ";") == [["epoch", "loss", "val_loss"], ["0", "2.0", "NA"]]


def test_csv_logger_flushes_each_epoch_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(path, append=True)
    logger.set_model(StandInModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    assert read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"]]  # on disk before train end
    logger.on_train_end()
    fit(callbacks.CSVLogger(path, append=True), StandInModel(), [{"loss": 0.5, "val_loss": 1.5}])
    assert read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"], ["0", "0.5", "1.5"]]
    fit(callbacks.CSVLogger(path), StandInModel(), [{"loss": 0.25, "val_loss": 0.75}])  # append=False overwrites
    assert read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "0.25", "0.75"]]


# ---------------------------------------------------------------- TerminateOnNaN, LambdaCallback

@pytest.mark.parametrize("loss, stops", [(math.nan, True), (math.inf, True), (-math.inf, True), (0.5, False)])
def test_terminate_on_nan(capsys, loss, stops):
    model = StandInModel()
    cb = callbacks.TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(7, {"loss": loss})
    assert model.stop_training is stops
    assert ("Batch 7: Invalid loss, terminating training" in capsys.readouterr().out) is stops


def test_terminate_on_nan_can_raise():
    cb = callbacks.TerminateOnNaN(raise_error=True)
    cb.set_model(StandInModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        cb.on_train_batch_end(3, {"loss": math.nan})


def test_lambda_callback_calls_the_given_functions():
    calls = []
    cb = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
                                  on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["loss"])),
                                  on_train_begin=lambda logs: calls.append(("train_begin",)),
                                  on_train_end=lambda logs: calls.append(("train_end",)),
                                  on_batch_end=lambda batch, logs: calls.append(("batch_end", batch)))
    cbs = callbacks.CallbackList([cb], model=StandInModel())
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})  # Keras 2's on_batch_end sees it
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_train_end()
    assert calls == [("train_begin",), ("epoch_begin", 0), ("batch_end", 0), ("epoch_end", 0, 0.5), ("train_end",)]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="unknown hooks on_epoch_ends"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        callbacks.LambdaCallback(on_epoch_end="print")


# ---------------------------------------------------------------- BackupAndRestore

def test_backup_and_restore_resumes_after_an_interruption(tmp_path):
    backup_dir = tmp_path / "backup"
    model = StandInModel()
    backup = callbacks.BackupAndRestore(backup_dir)
    backup.set_model(model)
    backup.on_train_begin()
    assert backup._resume_epoch is None  # nothing to resume
    for epoch in range(2):
        model.set_weights([np.full_like(w, epoch + 10) for w in model.weights])
        backup.on_epoch_end(epoch, {"loss": 1.0})
    # Interrupted during epoch 2: no on_train_end.
    with open(backup_dir / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 2
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "training_metadata.json"]  # no temp file left

    fresh = StandInModel()
    restored = callbacks.BackupAndRestore(backup_dir)
    restored.set_model(fresh)
    restored.on_train_begin()
    assert restored._resume_epoch == 2
    for w in fresh.get_weights():
        np.testing.assert_array_equal(w, np.full_like(w, 11))  # epoch 1's weights
    restored.on_epoch_end(2, {})
    with open(backup_dir / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 3
    (backup_dir / "notes.txt").write_text("the user's own file")
    restored.on_train_end()
    assert os.listdir(backup_dir) == ["notes.txt"]  # only the backup's own files are removed


def test_backup_and_restore_removes_an_emptied_folder_or_keeps_files_on_request(tmp_path):
    backup_dir = tmp_path / "backup"
    fit(callbacks.BackupAndRestore(backup_dir), StandInModel(), [{}, {}])
    assert not backup_dir.exists()
    fit(callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False), StandInModel(), [{}, {}, {}])
    with open(backup_dir / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 3


def test_backup_every_n_batches_records_completed_epochs(tmp_path):
    backup_dir = tmp_path / "backup"
    model = StandInModel()
    backup = callbacks.BackupAndRestore(backup_dir, save_freq=3, delete_checkpoint=False)
    backup.set_model(model)
    backup.on_train_begin()
    for epoch in range(2):
        for batch in range(4):
            backup.on_train_batch_end(batch, {})
        backup.on_epoch_end(epoch, {})  # not saved at epoch end with an int save_freq
    # 8 batches: saves after the 3rd and 6th, i.e. epoch 0 batch 2 and epoch 1 batch 1.
    assert len(model.saved) == 2
    with open(backup_dir / "training_metadata.json") as f:
        assert json.load(f) == {"epoch": 1, "batch": 1}


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    backup_dir = tmp_path / "backup"
    model = StandInModel()
    backup = callbacks.BackupAndRestore(backup_dir, double_checkpoint=True)
    backup.set_model(model)
    backup.on_train_begin()
    for epoch in range(3):
        model.set_weights([np.full_like(w, epoch) for w in model.weights])
        backup.on_epoch_end(epoch, {})
    (backup_dir / "latest.weights.h5").write_text("half-written")
    fresh = StandInModel()
    restored = callbacks.BackupAndRestore(backup_dir, double_checkpoint=True)
    restored.set_model(fresh)
    restored.on_train_begin()
    assert restored._resume_epoch == 2
    np.testing.assert_array_equal(fresh.get_weights()[1], [1.0, 1.0])


def test_backup_and_restore_bad_arguments():
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore("b", save_freq=0)


# ---------------------------------------------------------------- ProgbarLogger

@pytest.fixture
def clock(monkeypatch):
    class Clock:
        t = 50.0

        def __call__(self):
            return self.t

    c = Clock()
    monkeypatch.setattr(progbar_module, "_clock", c)
    return c


def run_fit(cbs, clock, epochs, steps, step_seconds=0.06):
    """Steps slower than the bar's 0.05s redraw interval, two-metric batch logs, a validation
    pass (silent inside fit), epoch logs with val_loss."""
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            clock.t += step_seconds
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1), "accuracy": 0.1 * (batch + 1)})
        cbs.on_test_begin()
        cbs.on_test_batch_end(0, {"loss": 0.5})
        cbs.on_test_end({"loss": 0.5})
        cbs.on_epoch_end(epoch, {"loss": 0.3, "accuracy": 0.9, "val_loss": 0.5})
    cbs.on_train_end()


def test_progbar_logger_verbose1(clock, capsys):
    cbs = callbacks.CallbackList(add_progbar=True, model=StandInModel(), verbose=1, epochs=2, steps=3)
    run_fit(cbs, clock, epochs=2, steps=3)
    out = ANSI.sub("", capsys.readouterr().out)
    epochs = out.split("Epoch ")[1:]
    assert [e.split("\n", 1)[0] for e in epochs] == ["1/2", "2/2"]
    frames = [f.rstrip(" \n") for f in epochs[0].split("\n", 1)[1].replace("\b", "").split("\r") if f]
    assert [f.split(" ")[0] for f in frames] == ["1/3", "2/3", "3/3", "3/3"]  # validation prints nothing
    # Batch values as given (keys sorted, as Keras shows them), then the epoch logs on the final line.
    assert frames[1].endswith(" 60ms/step - accuracy: 0.2000 - loss: 0.5000")
    assert frames[-1] == "3/3 " + "━" * 20 + " 0s 60ms/step - accuracy: 0.9000 - loss: 0.3000 - val_loss: 0.5000"


def test_progbar_logger_verbose2_one_line_per_epoch(clock, capsys):
    cbs = callbacks.CallbackList(add_progbar=True, model=StandInModel(), verbose=2, epochs=2, steps=100)
    run_fit(cbs, clock, epochs=2, steps=100, step_seconds=0.02)
    line = "100/100 - 2s - 20ms/step - accuracy: 0.9000 - loss: 0.3000 - val_loss: 0.5000\n"
    assert capsys.readouterr().out == "Epoch 1/2\n" + line + "Epoch 2/2\n" + line


def test_progbar_logger_verbose0_and_single_epoch(clock, capsys):
    run_fit(callbacks.CallbackList(add_progbar=True, model=StandInModel(), verbose=0, epochs=2, steps=3),
            clock, 2, 3)
    assert capsys.readouterr().out == ""
    run_fit(callbacks.CallbackList(add_progbar=True, model=StandInModel(), verbose="auto", epochs=1, steps=3),
            clock, 1, 3)
    out = capsys.readouterr().out
    assert "Epoch" not in out and ANSI.sub("", out).count("3/3 ") == 2  # "auto" means 1


def test_progbar_logger_unknown_steps_learns_the_count(clock, capsys):
    cbs = callbacks.CallbackList(add_progbar=True, model=StandInModel(), verbose=1, epochs=2, steps=None)
    run_fit(cbs, clock, epochs=2, steps=4)
    first, second = ANSI.sub("", capsys.readouterr().out).split("Epoch 2/2\n")
    assert "      4/Unknown " in first and first.rstrip(" \n").split("\r")[-1].startswith("4/4 ")
    assert "1/4 " in second  # the second epoch knows its length


def test_progbar_logger_evaluate_and_predict(clock, capsys):
    model = StandInModel()
    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    cbs.on_test_begin()
    for batch in range(2):
        clock.t += 0.003
        cbs.on_test_batch_end(batch, {"loss": 0.25})
    cbs.on_test_end({"loss": 0.25, "mae": 0.0001})
    out = ANSI.sub("", capsys.readouterr().out).replace("\b", "")
    assert out.split("\r")[-1] == "2/2 " + "━" * 20 + " 0s 3ms/step - loss: 0.2500 - mae: 1.0000e-04\n"

    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose=2, epochs=1, steps=2)
    cbs.on_predict_begin()
    for batch in range(2):
        clock.t += 0.5
        cbs.on_predict_batch_end(batch, {"outputs": np.zeros(3)})
    cbs.on_predict_end()
    assert capsys.readouterr().out == "2/2 - 1s - 500ms/step\n"


def test_no_warnings_from_a_clean_run(clock, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cbs = callbacks.CallbackList([callbacks.EarlyStopping(monitor="loss"), callbacks.TerminateOnNaN()],
                                     add_history=True, add_progbar=True, model=StandInModel(), verbose=1,
                                     epochs=2, steps=2)
        run_fit(cbs, clock, 2, 2)
