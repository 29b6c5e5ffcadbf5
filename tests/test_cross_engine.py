"""The same seed gives the same model and the same training on every engine.

Engines are chosen once per process, so this test starts one child process
per installed engine and compares what they report. It spawns them all
itself, so it runs once, in the numpy pass of the suite.
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kbackend as K

CHILD = r"""
import json, numpy as np
import core
from core import layers
core.utils.set_random_seed(123)
rng = np.random.default_rng(0)
y = rng.integers(0, 3, size=96)
x = (rng.normal(size=(96, 6)) + 1.5 * np.eye(3, 6)[y]).astype("float32")
model = core.Sequential([core.Input(shape=(6,)), layers.Dense(16, activation="relu"),
                         layers.Dense(8, activation="tanh"), layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
initial = [w.tolist() for w in model.get_weights()]
history = model.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0)
print(json.dumps({"initial": initial, "loss": history.history["loss"],
                  "final": [w.tolist() for w in model.get_weights()]}))
"""

MODULES = {"numpy": "numpy", "jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}


def run(engine):
    env = dict(os.environ, KERAS_BACKEND=engine, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.returncode == 0, f"{engine} child failed:\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(K.backend() != "numpy", reason="starts a process per engine itself; runs once, in the numpy pass")
def test_same_seed_same_initial_weights_and_loss_curve_on_every_engine():
    engines = [e for e, module in MODULES.items() if importlib.util.find_spec(module) is not None]
    if len(engines) < 2:
        pytest.skip("only one engine is installed")
    results = {e: run(e) for e in engines}
    reference = results["numpy"]
    for engine in engines[1:]:
        got = results[engine]
        for a, b in zip(reference["initial"], got["initial"]):
            np.testing.assert_array_equal(np.array(a), np.array(b), err_msg=f"initial weights differ on {engine}")
        np.testing.assert_allclose(got["loss"], reference["loss"], rtol=1e-4, err_msg=f"loss curve on {engine}")
        for a, b in zip(reference["final"], got["final"]):
            np.testing.assert_allclose(np.array(b), np.array(a), rtol=1e-3, atol=1e-5,
                                       err_msg=f"trained weights on {engine}")
