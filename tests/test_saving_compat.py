"""Files in Keras's layouts, written here directly with zipfile/json/h5py (not
with this library's writer), load and predict what numpy computes from the
weights that were written. When the `keras` package is importable, a .keras
file goes both ways with real Keras 3 (in a subprocess)."""

import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

import core
import kbackend as K
from core import layers

RNG = np.random.default_rng(42)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def _dense3(name, units, activation):
    # a Dense config as Keras 3.15 writes it
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": name, "trainable": True, "dtype": _policy(), "units": units, "activation": activation,
                       "use_bias": True,
                       "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                              "config": {"seed": None}, "registered_name": None},
                       "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                            "registered_name": None},
                       "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None,
                       "bias_constraint": None, "quantization_config": None}}


def _tensor(shape, history):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32", "keras_history": history}}


def _relu(v):
    return np.maximum(v, 0)


def test_hand_built_keras3_file(tmp_path):
    w1, b1 = RNG.normal(size=(4, 3)).astype("f4"), RNG.normal(size=3).astype("f4")
    w2, b2 = RNG.normal(size=(3, 2)).astype("f4"), RNG.normal(size=2).astype("f4")
    first, second = _dense3("dense", 3, "relu"), _dense3("dense_1", 2, "linear")
    first.update(name="dense", build_config={"input_shape": [None, 4]},
                 inbound_nodes=[{"args": [_tensor([None, 4], ["input_layer", 0, 0])], "kwargs": {}}])
    second.update(name="dense_1", build_config={"input_shape": [None, 3]},
                  inbound_nodes=[{"args": [_tensor([None, 3], ["dense", 0, 0])], "kwargs": {}}])
    config = {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
              "build_config": {"input_shape": None},
              "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "SGD",
                                               "registered_name": None,
                                               "config": {"name": "SGD", "learning_rate": 0.1, "momentum": 0.0,
                                                          "nesterov": False}},
                                 "loss": "mse", "loss_weights": None, "metrics": None, "weighted_metrics": None,
                                 "run_eagerly": False, "steps_per_execution": 1, "jit_compile": True},
              "config": {"name": "functional", "trainable": True,
                         "layers": [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                                     "name": "input_layer", "inbound_nodes": [],
                                     "config": {"batch_shape": [None, 4], "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "input_layer", "optional": False}},
                                    first, second],
                         "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense_1", 0, 0]]}}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        h5.create_group("vars").attrs["name"] = "functional"
        h5.create_group("layers/input_layer/vars")
        for path, arrays in (("layers/dense/vars", (w1, b1)), ("layers/dense_1/vars", (w2, b2))):
            g = h5.create_group(path)
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)
        opt = h5.create_group("optimizer/vars")
        opt.create_dataset("0", data=np.int64(5))
        opt.create_dataset("1", data=np.float32(0.1))
    path = tmp_path / "hand.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.0", "date_saved": "2025-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", weights.getvalue())
    model = core.models.load_model(path)
    x = RNG.normal(size=(6, 4)).astype("f4")
    np.testing.assert_allclose(model.predict(x, verbose=0), _relu(x @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-5)
    assert type(model.optimizer).__name__ == "SGD" and int(model.optimizer.iterations.numpy()) == 5


def _lstm_reference(x, kernel, recurrent, bias, units):
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))  # gates i, f, c, o
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
    return h


def test_hand_built_keras3_weights_file_with_nested_lstm_cell(tmp_path):
    units = 3
    kernel = RNG.normal(size=(2, 4 * units)).astype("f4") * 0.5
    recurrent = RNG.normal(size=(units, 4 * units)).astype("f4") * 0.5
    bias = RNG.normal(size=4 * units).astype("f4")
    wd, bd = RNG.normal(size=(units, 1)).astype("f4"), RNG.normal(size=1).astype("f4")
    path = tmp_path / "lstm.weights.h5"
    with h5py.File(path, "w") as h5:
        for group, arrays in (("layers/lstm/cell/vars", (kernel, recurrent, bias)), ("layers/dense/vars", (wd, bd))):
            g = h5.create_group(group)
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)
        h5.create_group("layers/lstm/vars")
        h5.create_group("vars")
    model = core.Sequential([core.Input((5, 2)), layers.LSTM(units), layers.Dense(1)])
    model.load_weights(path)
    x = RNG.normal(size=(4, 5, 2)).astype("f4")
    expected = _lstm_reference(x.astype("f8"), kernel, recurrent, bias, units) @ wd + bd
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)


def _keras2_dense(name, units, activation, input_shape=None):
    config = {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
              "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
              "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
              "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
              "bias_constraint": None}
    if input_shape:
        config["batch_input_shape"] = [None, *input_shape]
    return {"class_name": "Dense", "config": config}


def _write_keras2_weights(group, named_arrays):
    group.attrs["layer_names"] = np.array([n.encode() for n, _ in named_arrays], dtype="S")
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.4.0"
    for layer_name, arrays in named_arrays:
        g = group.create_group(layer_name)
        names = [f"{layer_name}/{w}:0" for w in ("kernel", "bias")][:len(arrays)]
        g.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
        for n, a in zip(names, arrays):
            g.create_dataset(n, data=a)


def test_hand_built_keras2_sequential_h5(tmp_path):
    w1, b1 = RNG.normal(size=(4, 3)).astype("f4"), RNG.normal(size=3).astype("f4")
    w2, b2 = RNG.normal(size=(3, 1)).astype("f4"), RNG.normal(size=1).astype("f4")
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        _keras2_dense("dense_1", 3, "relu", input_shape=(4,)), _keras2_dense("dense_2", 1, "linear")]}}
    training = {"optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.002,
                                                                      "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
                                                                      "epsilon": 1e-07, "amsgrad": False}},
                "loss": "mean_squared_error", "metrics": ["mae"], "weighted_metrics": None, "loss_weights": None}
    path = tmp_path / "k2.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = b"2.4.0"
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["model_config"] = json.dumps(config).encode()
        h5.attrs["training_config"] = json.dumps(training).encode()
        _write_keras2_weights(h5.create_group("model_weights"), [("dense_1", (w1, b1)), ("dense_2", (w2, b2))])
    model = core.models.load_model(path)
    x = RNG.normal(size=(5, 4)).astype("f4")
    np.testing.assert_allclose(model.predict(x, verbose=0), _relu(x @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-5)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.002)
    model.train_on_batch(x, np.zeros((5, 1), "f4"))  # compiled from training_config


def test_hand_built_keras2_functional_h5_with_merge(tmp_path):
    wa, ba = RNG.normal(size=(3, 2)).astype("f4"), RNG.normal(size=2).astype("f4")
    wb, bb = RNG.normal(size=(3, 2)).astype("f4"), RNG.normal(size=2).astype("f4")
    wo, bo = RNG.normal(size=(4, 1)).astype("f4"), RNG.normal(size=1).astype("f4")

    def entry(layer, inbound):
        return {**layer, "name": layer["config"]["name"], "inbound_nodes": inbound}
    config = {"class_name": "Model", "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False, "name": "input_1"}},
        entry(_keras2_dense("dense_a", 2, "tanh"), [[["input_1", 0, 0, {}]]]),
        entry(_keras2_dense("dense_b", 2, "relu"), [[["input_1", 0, 0, {}]]]),
        {"class_name": "Concatenate", "name": "concat", "config": {"name": "concat", "trainable": True, "axis": -1},
         "inbound_nodes": [[["dense_a", 0, 0, {}], ["dense_b", 0, 0, {}]]]},
        entry(_keras2_dense("out", 1, "linear"), [[["concat", 0, 0, {}]]])],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["out", 0, 0]]}}
    path = tmp_path / "k2f.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = b"2.2.4"
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["model_config"] = json.dumps(config).encode()
        group = h5.create_group("model_weights")
        _write_keras2_weights(group, [("input_1", ()), ("dense_a", (wa, ba)), ("dense_b", (wb, bb)),
                                      ("concat", ()), ("out", (wo, bo))])
    model = core.models.load_model(path)
    x = RNG.normal(size=(5, 3)).astype("f4")
    expected = np.concatenate([np.tanh(x @ wa + ba), _relu(x @ wb + bb)], axis=-1) @ wo + bo
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert not model.compiled  # no training_config in the file

    # the same weights as a Keras 2 weights-only file, loaded by name into a model with other layer order
    weights_path = tmp_path / "k2w.h5"
    with h5py.File(weights_path, "w") as h5:
        _write_keras2_weights(h5, [("dense_a", (wa, ba)), ("dense_b", (wb, bb)), ("out", (wo, bo))])
    inp = core.Input((3,))
    b = layers.Dense(2, activation="relu", name="dense_b")(inp)
    a = layers.Dense(2, activation="tanh", name="dense_a")(inp)
    rebuilt = core.Model(inp, layers.Dense(1, name="out")(layers.Concatenate()([a, b])))
    rebuilt.load_weights(weights_path, by_name=True)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


# -- real Keras 3 -----------------------------------------------------------------------------------
KERAS_CHILD = r"""
import json, sys, numpy as np, keras
ours, theirs = sys.argv[1], sys.argv[2]
x_img = np.load(sys.argv[3])
model = keras.saving.load_model(ours)
out = {"ours_in_keras": model.predict(x_img, verbose=0).tolist(),
       "ours_optimizer_in_keras": [np.asarray(v).ravel().tolist() for v in model.optimizer.variables]}
keras.utils.set_random_seed(3)
inp = keras.Input((6, 6, 2))
h = keras.layers.Flatten()(keras.layers.BatchNormalization()(keras.layers.Conv2D(3, 3, activation="relu")(inp)))
km = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Dense(5, activation="tanh")(h)))
km.compile("adam", "mse")
km.fit(x_img, np.ones((4, 2)), verbose=0)
km.save(theirs)
out["theirs"] = km.predict(x_img, verbose=0).tolist()
out["theirs_optimizer"] = [np.asarray(v).ravel().tolist() for v in km.optimizer.variables]
print(json.dumps(out))
"""


def _keras_backend():
    for name in ("jax", "numpy"):
        if name == "numpy" or importlib.util.find_spec(name) is not None:
            return name


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="the keras package is not installed")
def test_files_move_both_ways_with_real_keras3(tmp_path):
    inp = core.Input((6, 6, 2))
    h = layers.Flatten()(layers.BatchNormalization()(layers.Conv2D(3, 3, activation="relu")(inp)))
    model = core.Model(inp, layers.Dense(2)(layers.Dense(5, activation="tanh")(h)))
    model.compile("adam", "mse")
    x = RNG.normal(size=(4, 6, 6, 2)).astype("f4")
    model.fit(x, np.ones((4, 2), "f4"), verbose=0)  # moves the BatchNormalization statistics and Adam's moments
    model.save(tmp_path / "ours.keras")
    np.save(tmp_path / "x.npy", x)
    env = dict(os.environ, KERAS_BACKEND=_keras_backend(), TF_CPP_MIN_LOG_LEVEL="3")
    env["KERAS_HOME"] = str(tmp_path / "keras_home")  # Keras writes a keras.json there on import, not in ~/.keras
    proc = subprocess.run([sys.executable, "-c", KERAS_CHILD, str(tmp_path / "ours.keras"),
                           str(tmp_path / "theirs.keras"), str(tmp_path / "x.npy")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(np.array(got["ours_in_keras"]), model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    theirs = core.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), np.array(got["theirs"]), rtol=1e-4, atol=1e-5)
    # the optimizer state crosses too, slot by slot (Keras 3 orders Adam's slots variable by variable)
    for name, expected, optimizer in (("ours in keras", [np.ravel(K.convert_to_numpy(v)) for v in
                                                         model.optimizer.variables], got["ours_optimizer_in_keras"]),
                                      ("theirs here", got["theirs_optimizer"], [
                                          np.ravel(K.convert_to_numpy(v)) for v in theirs.optimizer.variables])):
        assert len(expected) == len(optimizer), name
        for a, b in zip(expected, optimizer):
            np.testing.assert_allclose(np.asarray(b, "f8"), np.asarray(a, "f8"), rtol=1e-6, err_msg=name)
