"""Saving and loading: .keras, .weights.h5, Keras 2 .h5, JSON/YAML, safety and
crash-safe writes. Every round trip is checked by numbers: same predictions, same
weights, and the same next training step (optimizer state restored)."""

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import core
from core import layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _data(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def _functional():
    inp = core.Input((5,), name="x")
    h = layers.Dense(4, activation="tanh")(inp)
    h = layers.BatchNormalization()(h)
    out = layers.Dense(2)(h)
    return core.Model(inp, out)


def _trained(steps=3):
    model = _functional()
    model.compile(optimizer=core.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = _data()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model


def _assert_same_weights(a, b, atol=0.0):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        np.testing.assert_allclose(u, v, atol=atol, rtol=0)


# -- .keras -----------------------------------------------------------------------------------------
def test_keras_file_layout(tmp_path):
    model = _trained()
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        meta = json.loads(z.read("metadata.json"))
        config = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5")
    assert meta["keras_version"].startswith("3.") and "@" in meta["date_saved"]
    assert config["class_name"] == "Functional" and config["module"].startswith("keras")
    assert set(config) >= {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["class_name"] == "Adam" and compile_config["loss"] == "mse"
    assert compile_config["metrics"] == ["mae"]
    dense = config["config"]["layers"][1]
    assert dense["module"] == "keras.layers" and dense["build_config"] == {"input_shape": [None, 5]}
    with h5py.File(io.BytesIO(weights), "r") as h5:
        np.testing.assert_array_equal(h5["layers/dense/vars/0"][()], model.layers[1].kernel.numpy())
        np.testing.assert_array_equal(h5["layers/dense_1/vars/1"][()], model.layers[3].bias.numpy())
        bn = model.layers[2]
        for i, w in enumerate(bn.weights):  # gamma, beta (trainable) then the moving statistics
            np.testing.assert_array_equal(h5[f"layers/batch_normalization/vars/{i}"][()], w.numpy())
        assert h5["layers/input_layer/vars"].attrs["name"] == "x" and len(h5["layers/input_layer/vars"]) == 0
        assert int(h5["optimizer/vars/0"][()]) == 3  # iterations first
        assert len(h5["optimizer/vars"]) == len(model.optimizer.variables)
        assert "vars" in h5 and len(h5["vars"]) == 0


def test_keras_round_trip_continues_training(tmp_path):
    model = _trained()
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = core.models.load_model(path)
    x, y = _data(1)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    _assert_same_weights(model, loaded)
    assert int(loaded.optimizer.iterations.numpy()) == 3
    assert loaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    _assert_same_weights(model, loaded, atol=1e-6)
    # the state really matters: a fresh Adam gives another step
    fresh = core.models.load_model(path, compile=False)
    assert not fresh.compiled
    fresh.compile(optimizer=core.optimizers.Adam(0.01), loss="mse")
    fresh.train_on_batch(x, y)
    assert max(np.abs(a - b).max() for a, b in zip(fresh.get_weights(), loaded.get_weights())) > 1e-5


def test_sequential_keras_round_trip_built_from_data(tmp_path):
    model = core.Sequential([layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = _data()
    model.fit(x, y[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "s.keras")
    loaded = core.models.load_model(tmp_path / "s.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_overwrite_false_and_bad_paths(tmp_path):
    model = _functional()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "m.pkl")
    with pytest.raises(ValueError, match="save_weights"):
        model.save(tmp_path / "m.weights.h5")
    with pytest.raises(FileNotFoundError):
        core.models.load_model(tmp_path / "missing.keras")
    (tmp_path / "junk.keras").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="neither"):
        core.models.load_model(tmp_path / "junk.keras")


# -- weights files ----------------------------------------------------------------------------------
def test_weights_h5_round_trip_with_optimizer_state(tmp_path):
    model = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    other = _functional()
    other.compile(optimizer=core.optimizers.Adam(0.01), loss="mse")
    other.load_weights(tmp_path / "w.weights.h5")
    _assert_same_weights(model, other)
    assert int(other.optimizer.iterations.numpy()) == 3
    x, y = _data(2)
    model.train_on_batch(x, y)
    other.train_on_batch(x, y)
    _assert_same_weights(model, other, atol=1e-6)


def test_weights_mismatch_errors_and_skip(tmp_path):
    model = _functional()
    model.save_weights(tmp_path / "w.weights.h5")
    inp = core.Input((5,))
    h = layers.BatchNormalization()(layers.Dense(4, activation="tanh")(inp))
    wider = core.Model(inp, layers.Dense(3)(h))
    with pytest.raises(ValueError, match=r"dense_\w*.*\(4, 3\).*\(4, 2\)"):
        wider.load_weights(tmp_path / "w.weights.h5")
    with pytest.warns(UserWarning, match="Skipping"):
        wider.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(wider.layers[1].kernel.numpy(), model.layers[1].kernel.numpy())
    with pytest.raises(ValueError, match="by_name"):
        wider.load_weights(tmp_path / "w.weights.h5", by_name=True)
    lazy = core.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="build"):
        lazy.load_weights(tmp_path / "w.weights.h5")


def test_legacy_h5_weights_layout_by_name_and_skip_mismatch(tmp_path):
    model = _functional()
    path = tmp_path / "w.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as h5:
        names = [n.decode() for n in h5.attrs["layer_names"]]
        assert names == [layer.name for layer in model.layers]
        dense = model.layers[1]
        weight_names = [n.decode() for n in h5[dense.name].attrs["weight_names"]]
        assert weight_names == [f"{dense.name}/kernel:0", f"{dense.name}/bias:0"]
        np.testing.assert_array_equal(h5[dense.name][weight_names[0]][()], dense.kernel.numpy())
    other = _functional()
    other.load_weights(path)
    _assert_same_weights(model, other)

    # by_name: only layers with the same name get weights; others are untouched
    inp = core.Input((5,))
    keep = layers.Dense(4, activation="tanh", name=model.layers[1].name)
    new = layers.Dense(7, name="brand_new")
    partial = core.Model(inp, new(keep(inp)))
    before = new.kernel.numpy().copy()
    partial.load_weights(path, by_name=True)
    np.testing.assert_array_equal(keep.kernel.numpy(), model.layers[1].kernel.numpy())
    np.testing.assert_array_equal(new.kernel.numpy(), before)
    with pytest.raises(ValueError, match="2 layers with weights|holds weights for 3 layers"):
        partial.load_weights(path)

    # skip_mismatch with by_name: a same-named layer of another shape is skipped with a warning
    inp = core.Input((5,))
    odd = layers.Dense(6, name=model.layers[1].name)
    odd_model = core.Model(inp, odd(inp))
    with pytest.raises(ValueError, match=r"\(5, 6\).*\(5, 4\)"):
        odd_model.load_weights(path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping"):
        odd_model.load_weights(path, by_name=True, skip_mismatch=True)


def test_legacy_h5_whole_model(tmp_path):
    model = _trained()
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "r") as h5:
        assert {"keras_version", "backend", "model_config", "training_config"} <= set(h5.attrs)
        config = json.loads(h5.attrs["model_config"])
        assert config["class_name"] == "Functional"
        dense = config["config"]["layers"][1]
        assert dense["inbound_nodes"] == [[["x", 0, 0, {}]]]  # Keras 2's node lists
        assert json.loads(h5.attrs["training_config"])["optimizer_config"]["class_name"] == "Adam"
        assert "model_weights" in h5 and "optimizer_weights" in h5
    loaded = core.models.load_model(path)
    x, y = _data(3)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert int(loaded.optimizer.iterations.numpy()) == 3
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    _assert_same_weights(model, loaded, atol=1e-6)


# -- JSON / YAML ------------------------------------------------------------------------------------
def test_json_and_yaml_round_trip():
    model = _functional()
    x, _ = _data()
    for text, load in ((model.to_json(), core.models.model_from_json),
                       (model.to_yaml(), core.models.model_from_yaml)):
        rebuilt = load(text)
        assert [type(la).__name__ for la in rebuilt.layers] == [type(la).__name__ for la in model.layers]
        assert rebuilt.count_params() == model.count_params() == 5 * 4 + 4 + 4 * 4 + 4 * 2 + 2
        rebuilt.set_weights(model.get_weights())
        np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert json.loads(model.to_json())["class_name"] == "Functional"


def test_yaml_is_loaded_safely():
    evil = "!!python/object/apply:os.system ['echo hacked']\n"
    with pytest.raises(ValueError, match="safe"):
        core.models.model_from_yaml(evil)
    with pytest.raises(ValueError, match="not valid JSON"):
        core.models.model_from_json("{nope")


# -- safety -----------------------------------------------------------------------------------------
def test_lambda_needs_safe_mode_off(tmp_path):
    inp = core.Input((5,))
    out = layers.Lambda(lambda t: t * 2.0 + 1.0)(inp)
    model = core.Model(inp, out)
    model.save(tmp_path / "lam.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        core.models.load_model(tmp_path / "lam.keras")
    loaded = core.models.load_model(tmp_path / "lam.keras", safe_mode=False)
    x, _ = _data()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), x * 2.0 + 1.0, atol=1e-6)


class Scale(layers.Layer):
    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_objects_and_unknown_class(tmp_path):
    inp = core.Input((5,))
    layer = Scale(3.0)
    model = core.Model(inp, layer(inp))
    layer.w.assign(np.arange(5, dtype="float32"))
    model.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match=r"Scale.*register_keras_serializable.*custom_objects"):
        core.models.load_model(tmp_path / "c.keras")
    loaded = core.models.load_model(tmp_path / "c.keras", custom_objects={"Scale": Scale})
    x, _ = _data()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), x * np.arange(5) * 3.0, atol=1e-5)
    with core.saving.custom_object_scope({"Scale": Scale}):
        assert core.models.load_model(tmp_path / "c.keras").layers[1].factor == 3.0


def _rewrite_zip(src, dst, rename=None, extra=None):
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
        for name in z.namelist():
            out.writestr((rename or {}).get(name, name), z.read(name))
        for name, data in (extra or {}).items():
            out.writestr(name, data)


@pytest.mark.parametrize("bad", ["../evil.txt", "/etc/evil", "assets/../../evil"])
def test_zip_entries_outside_the_archive_are_refused(tmp_path, bad):
    _functional().save(tmp_path / "m.keras")
    _rewrite_zip(tmp_path / "m.keras", tmp_path / "bad.keras", extra={bad: b"x"})
    with pytest.raises(ValueError, match="outside the archive"):
        core.models.load_model(tmp_path / "bad.keras")


def test_zip_bomb_sizes_are_refused(tmp_path):
    _functional().save(tmp_path / "m.keras")
    data = bytearray((tmp_path / "m.keras").read_bytes())
    # declare ~4 GiB uncompressed for the first central-directory entry (offset 24 of its header)
    at = data.index(b"PK\x01\x02")
    data[at + 24:at + 28] = (0xFFFFFF00).to_bytes(4, "little")
    (tmp_path / "bomb.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="zip bomb"):
        core.models.load_model(tmp_path / "bomb.keras")


# -- crash-safe writes ------------------------------------------------------------------------------
def test_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    model = _functional()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    from core.saving import weights_h5

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(weights_h5, "write_weights", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind


KILL_CHILD = r"""
import sys, numpy as np, core
from core import layers
inp = core.Input((400,))
model = core.Model(inp, layers.Dense(400)(layers.Dense(400)(inp)))
version = 0
while True:
    version = 1 - version
    model.set_weights([np.full(w.shape, version + 1.0, "float32") for w in model.get_weights()])
    model.save(sys.argv[1])
    print(version, flush=True)
"""


def test_killed_mid_save_leaves_a_loadable_file(tmp_path):
    path = str(tmp_path / "big.keras")
    env = dict(os.environ, KERAS_BACKEND="numpy")
    rng = random.Random(0)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", KILL_CHILD, path], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.readline()  # one complete save exists
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        loaded = core.models.load_model(path)
        values = {float(v) for w in loaded.get_weights() for v in np.unique(w)}
        assert values in ({1.0}, {2.0}), values


def test_load_model_error_names_file_for_weights_only_h5(tmp_path):
    model = _functional()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="weights only"):
        core.models.load_model(tmp_path / "w.weights.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.load_weights(tmp_path / "w.weights.h5")  # uncompiled: the optimizer group is ignored quietly


@core.saving.register_keras_serializable("test_saving")
class Blocks(core.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(2)
        self.blocks = [layers.Dense(2), layers.Dense(1)]

    def call(self, x):
        return self.blocks[1](self.blocks[0](self.d1(x)))


def test_subclassed_model_weights_by_attribute_path(tmp_path):
    model = Blocks()
    model(np.zeros((1, 3), "float32"))
    model.save_weights(tmp_path / "s.weights.h5")
    with h5py.File(tmp_path / "s.weights.h5", "r") as h5:
        np.testing.assert_array_equal(h5["d1/vars/0"][()], model.d1.kernel.numpy())
        np.testing.assert_array_equal(h5["blocks/dense/vars/0"][()], model.blocks[0].kernel.numpy())
        np.testing.assert_array_equal(h5["blocks/dense_1/vars/1"][()], model.blocks[1].bias.numpy())
    other = Blocks()
    other(np.zeros((1, 3), "float32"))
    other.load_weights(tmp_path / "s.weights.h5")
    _assert_same_weights(model, other)
    # the .keras file records the shape the model was built with, so loading rebuilds it
    model.save(tmp_path / "s.keras")
    restored = core.models.load_model(tmp_path / "s.keras")
    _assert_same_weights(model, restored)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(np.asarray(restored.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                               rtol=1e-6)
