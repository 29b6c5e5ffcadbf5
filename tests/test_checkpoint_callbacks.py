"""ModelCheckpoint writes the files it says it writes, holding the weights of the
epoch it says; BackupAndRestore resumes a training killed mid-epoch (in a child
process) with the same weights and optimizer state as an uninterrupted run."""

import json
import os
import subprocess
import sys

import numpy as np

import core
from core import layers
from core.callbacks import LambdaCallback, ModelCheckpoint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _setup():
    core.utils.set_random_seed(5)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32")).astype("float32")
    model = core.Sequential([core.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(1)])
    model.compile(core.optimizers.Adam(0.05), "mse")
    return model, x, y


def _snapshots(model):
    """A callback that keeps a copy of the weights at every epoch end."""
    weights = []
    return weights, LambdaCallback(on_epoch_end=lambda epoch, logs: weights.append(model.get_weights()))


def test_every_epoch_with_formatted_names(tmp_path):
    model, x, y = _setup()
    weights, snap = _snapshots(model)
    pattern = str(tmp_path / "w-{epoch:02d}-{val_loss:.2f}.weights.h5")
    history = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x, y), shuffle=False, verbose=0,
                        callbacks=[ModelCheckpoint(pattern, save_weights_only=True, save_best_only=False), snap])
    expected = [f"w-{e + 1:02d}-{v:.2f}.weights.h5" for e, v in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    for name, saved in zip(expected, weights):
        probe, _, _ = _setup()
        probe.load_weights(tmp_path / name)
        for a, b in zip(probe.get_weights(), saved):
            np.testing.assert_array_equal(a, b)


def test_save_best_only_keeps_the_best_epoch(tmp_path):
    model, x, y = _setup()
    weights, snap = _snapshots(model)
    path = tmp_path / "best.keras"
    losses = []
    # mode="max" on a falling loss: only the first epoch "improves", so the file keeps epoch 1
    ckpt = ModelCheckpoint(path, monitor="loss", mode="max", save_best_only=True)
    record = LambdaCallback(on_epoch_end=lambda e, logs: losses.append(logs["loss"]))
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[ckpt, snap, record])
    assert history.history["loss"][0] > history.history["loss"][-1]
    best = core.models.load_model(path)
    for a, b in zip(best.get_weights(), weights[0]):
        np.testing.assert_array_equal(a, b)
    assert ckpt.best == losses[0]
    # mode="min": the last (lowest) epoch wins
    model2, _, _ = _setup()
    weights2, snap2 = _snapshots(model2)
    model2.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
               callbacks=[ModelCheckpoint(tmp_path / "min.keras", monitor="loss", mode="min", save_best_only=True),
                          snap2])
    for a, b in zip(core.models.load_model(tmp_path / "min.keras").get_weights(), weights2[-1]):
        np.testing.assert_array_equal(a, b)


CHILD = r"""
import json, os, sys, numpy as np
import core
from core import layers
from core.callbacks import BackupAndRestore, Callback
mode, backup = sys.argv[1], sys.argv[2]
core.utils.set_random_seed(5)
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 4)).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32")).astype("float32")
model = core.Sequential([core.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(1)])
model.compile(core.optimizers.Adam(0.05), "mse")

class Crash(Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 2 and batch == 1:
            os._exit(17)  # dies like a killed process: no cleanup, no train_end
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

callbacks = [BackupAndRestore(backup)] if mode != "plain" else []
if mode == "crash":
    callbacks.append(Crash())
history = model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0, callbacks=callbacks)
print(json.dumps({"weights": [w.tolist() for w in model.get_weights()], "epochs": history.epoch,
                  "iterations": int(model.optimizer.iterations.numpy())}))
"""


def _child(mode, backup):
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(backup)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return proc


def test_backup_and_restore_resumes_a_killed_training(tmp_path):
    backup = tmp_path / "backup"
    crashed = _child("crash", backup)
    assert crashed.returncode == 17, crashed.stderr[-2000:]
    with open(backup / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 2  # epochs 1 and 2 completed before the crash
    resumed = _child("resume", backup)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    plain = _child("plain", backup)
    assert plain.returncode == 0, plain.stderr[-2000:]
    got, ref = (json.loads(p.stdout.strip().splitlines()[-1]) for p in (resumed, plain))
    assert got["epochs"] == [2, 3] and ref["epochs"] == [0, 1, 2, 3]
    assert got["iterations"] == ref["iterations"] == 16  # optimizer state came back with the weights
    for a, b in zip(got["weights"], ref["weights"]):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)
    assert not backup.exists()  # removed after the successful run
