"""A file saved under one engine loads under every other: all ordered pairs of
the installed engines, for a model with Conv2D, BatchNormalization, Embedding,
LSTM and Dense. One child per engine saves (a .keras and a .weights.h5 file plus
its predictions); one child per engine loads every engine's files and reports
its predictions, which must equal the writer's. Runs once, in the numpy pass."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kbackend as K

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINES = [e for e in ("numpy", "jax", "torch", "tensorflow") if importlib.util.find_spec(e) is not None]

COMMON = r"""
import json, sys, numpy as np
import core
from core import layers

def build():
    img = core.Input((6, 6, 2), name="img")
    tok = core.Input((5,), dtype="int32", name="tok")
    a = layers.Flatten()(layers.BatchNormalization()(layers.Conv2D(3, 3)(img)))
    b = layers.LSTM(4)(layers.Embedding(12, 3)(tok))
    out = layers.Dense(2)(layers.Concatenate()([a, b]))
    return core.Model([img, tok], out)

rng = np.random.default_rng(7)
x = [rng.normal(size=(4, 6, 6, 2)).astype("float32"), rng.integers(0, 12, size=(4, 5)).astype("int32")]
y = rng.normal(size=(4, 2)).astype("float32")
folder, engine = sys.argv[1], sys.argv[2]
"""

SAVE = COMMON + r"""
core.utils.set_random_seed({"numpy": 1, "jax": 2, "torch": 3, "tensorflow": 4}[engine])
model = build()
model.compile(optimizer="adam", loss="mse")
for _ in range(2):
    model.train_on_batch(x, y)  # moves BatchNormalization's statistics and the optimizer state
model.save(f"{folder}/{engine}.keras")
model.save_weights(f"{folder}/{engine}.weights.h5")
print(json.dumps(model.predict(x, verbose=0).tolist()))
"""

LOAD = COMMON + r"""
out = {}
for writer in sys.argv[3].split(","):
    loaded = core.models.load_model(f"{folder}/{writer}.keras")
    rebuilt = build()
    rebuilt.load_weights(f"{folder}/{writer}.weights.h5")
    out[writer] = {"keras": loaded.predict(x, verbose=0).tolist(), "weights": rebuilt.predict(x, verbose=0).tolist(),
                   "iterations": int(loaded.optimizer.iterations.numpy())}
print(json.dumps(out))
"""


def _run(script, *args):
    env = dict(os.environ, KERAS_BACKEND=args[1], TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, f"{args[1]} child failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(K.backend() != "numpy", reason="starts a process per engine itself; runs once, in the numpy pass")
def test_every_engine_loads_every_engines_files(tmp_path):
    if len(ENGINES) < 2:
        pytest.skip("only one engine is installed")
    written = {e: np.array(_run(SAVE, str(tmp_path), e)) for e in ENGINES}
    # different seeds per writer: a reader that ignored the file would not match
    assert np.abs(written[ENGINES[0]] - written[ENGINES[1]]).max() > 1e-3
    for reader in ENGINES:
        got = _run(LOAD, str(tmp_path), reader, ",".join(ENGINES))
        for writer in ENGINES:
            for kind in ("keras", "weights"):
                np.testing.assert_allclose(np.array(got[writer][kind]), written[writer], rtol=1e-4, atol=1e-5,
                                           err_msg=f"{writer} -> {reader} ({kind})")
            assert got[writer]["iterations"] == 2
