"""The same seed gives the same model and the same training on every engine,
and the same weights give the same layer outputs.

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


def run(engine, script=CHILD):
    env = dict(os.environ, KERAS_BACKEND=engine, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
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


LAYERS_CHILD = r"""
import json, numpy as np
import kbackend as K
import core
from core import layers
core.utils.set_random_seed(7)
rng = np.random.default_rng(1)
img = rng.normal(size=(2, 9, 9, 3)).astype("float32")
seq = rng.normal(size=(2, 6, 4)).astype("float32")
ids = np.array([[3, 1, 4, 1, 5, 0], [2, 7, 0, 0, 0, 0]], "int32")
cases = {
    "conv2d": (layers.Conv2D(4, 3, strides=2, padding="same"), img),
    "conv2d_first": (layers.Conv2D(4, 3, dilation_rate=2, data_format="channels_first"), img.transpose(0, 3, 1, 2)),
    "conv1d_causal": (layers.Conv1D(3, 2, padding="causal", dilation_rate=2), seq),
    "conv2d_transpose": (layers.Conv2DTranspose(2, 3, strides=2), img),
    "separable": (layers.SeparableConv2D(5, 3, depth_multiplier=2), img),
    "depthwise": (layers.DepthwiseConv2D(3, padding="same"), img),
    "max_pool": (layers.MaxPooling2D(3, strides=2), img),
    "avg_pool_1d": (layers.AveragePooling1D(2, padding="same"), seq),
    "upsampling_bilinear": (layers.UpSampling2D(2, interpolation="bilinear"), img),
    "batch_norm": (layers.BatchNormalization(), img),
    "layer_norm": (layers.LayerNormalization(), seq),
    "lstm": (layers.LSTM(5, return_sequences=True), seq),
    "gru": (layers.GRU(5), seq),
    "bidirectional": (layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True)), seq),
    "attention": (layers.MultiHeadAttention(2, 3), seq),
    "embedding_lstm": (core.Sequential([layers.Embedding(8, 4, mask_zero=True), layers.LSTM(3)]), ids),
}
out = {}
for name, (layer, x) in cases.items():
    y = layer(x, x) if name == "attention" else layer(x)
    out[name] = K.convert_to_numpy(y).tolist()
# one training step through convolution, normalization and a recurrent layer: the gradients agree too
# (no conv bias before BatchNormalization: its gradient is zero up to rounding noise)
image, tokens = core.Input((9, 9, 3)), core.Input((6,), dtype="int32")
a = layers.Flatten()(layers.BatchNormalization()(layers.Conv2D(2, 3, use_bias=False)(image)))
b = layers.GRU(3)(layers.Embedding(8, 4, mask_zero=True)(tokens))
model = core.Model([image, tokens], layers.Dense(1)(layers.concatenate([a, b])))
model.compile(optimizer="sgd", loss="mse")
model.train_on_batch([img, ids], np.array([[1.0], [-1.0]], "float32"))
out["trained"] = [w.ravel().tolist() for w in model.get_weights()]
print(json.dumps(out))
"""


@pytest.mark.skipif(K.backend() != "numpy", reason="starts a process per engine itself; runs once, in the numpy pass")
def test_same_weights_give_the_same_layer_outputs_on_every_engine():
    engines = [e for e, module in MODULES.items() if importlib.util.find_spec(module) is not None]
    if len(engines) < 2:
        pytest.skip("only one engine is installed")
    results = {e: run(e, LAYERS_CHILD) for e in engines}
    reference = results["numpy"]
    for engine in engines[1:]:
        for name, expected in reference.items():
            parts = zip(expected, results[engine][name]) if name == "trained" else [(expected, results[engine][name])]
            for want, got in parts:
                want, got = np.array(want), np.array(got)
                assert want.shape == got.shape, f"{name} on {engine}: shape {got.shape}, numpy {want.shape}"
                scale = max(np.max(np.abs(want)), 1e-6)
                assert np.max(np.abs(got - want)) / scale < 1e-5, f"{name} differs on {engine}"
