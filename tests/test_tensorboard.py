"""The TensorBoard callback's event files, read back with TensorFlow's summary iterator."""

import glob
import os

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="reading event files needs tensorflow")

import core  # noqa: E402
from core.callbacks import TensorBoard  # noqa: E402
from core.callbacks import _summary_writer  # noqa: E402
from core.utils import set_random_seed  # noqa: E402


def _events(folder):
    """{tag: [(step, value), ...]} over every event file in `folder`."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                if v.HasField("tensor"):
                    value = tf.make_ndarray(v.tensor)
                else:
                    value = v.simple_value
                out.setdefault(v.tag, []).append((event.step, value, v.metadata.plugin_data.plugin_name))
    return out


def _model():
    model = core.Sequential([core.layers.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
                             core.layers.Dense(1, name="out")])
    model.compile(optimizer=core.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5]) + 0.3).astype("float32")[:, None]


def test_epoch_scalars_match_history(tmp_path):
    set_random_seed(0)
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(log_dir=str(tmp_path), histogram_freq=2)])
    train, val = _events(tmp_path / "train"), _events(tmp_path / "validation")
    for tag, key in (("epoch_loss", "loss"), ("epoch_mae", "mae")):
        steps = [s for s, _, _ in train[tag]]
        assert steps == [0, 1, 2]
        np.testing.assert_allclose([float(v) for _, v, _ in train[tag]], history.history[key], rtol=1e-6)
        np.testing.assert_allclose([float(v) for _, v, _ in val[tag]], history.history[f"val_{key}"], rtol=1e-6)
        assert train[tag][0][2] == "scalars"
    assert "val_loss" not in "".join(val) and "epoch_val_loss" not in train
    np.testing.assert_allclose([float(v) for _, v, _ in train["epoch_learning_rate"]], [0.05] * 3, rtol=1e-6)
    # histograms at epochs 0 and 2: bucket counts add up to the weight's size
    kernel = train["hidden/kernel/histogram"]
    assert [s for s, _, _ in kernel] == [0, 2] and kernel[0][2] == "histograms"
    assert kernel[-1][1].shape[1] == 3 and kernel[-1][1][:, 2].sum() == 12
    final = core.backend.convert_to_numpy(model.layers[0].kernel)
    np.testing.assert_allclose([kernel[-1][1][0, 0], kernel[-1][1][-1, 1]], [final.min(), final.max()], rtol=1e-6)
    assert "out/bias/histogram" in train


def test_batch_updates_count_global_steps(tmp_path):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=0,
                        callbacks=[TensorBoard(log_dir=str(tmp_path), update_freq=3, write_graph=False)])
    batch = _events(tmp_path / "train")["batch_loss"]
    assert [s for s, _, _ in batch] == [3, 6]  # 8 batches in all, every 3rd is written
    assert not os.path.exists(tmp_path / "validation")
    assert len(history.history["loss"]) == 2


def test_graph_config_is_written(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[TensorBoard(log_dir=str(tmp_path))])
    events = _events(tmp_path / "train")
    assert "keras" in events
    step, value, plugin = events["keras"][0]
    assert plugin == "graph_keras_model" and b"hidden" in value.item()


def test_histogram_buckets_against_numpy():
    values = np.array([0.0, 1.0, 1.0, 2.0, 4.0])
    buckets = _summary_writer.histogram_buckets(values, bins=4)
    np.testing.assert_allclose(buckets, [[0, 1, 1], [1, 2, 2], [2, 3, 1], [3, 4, 1]])
    np.testing.assert_allclose(_summary_writer.histogram_buckets(np.full(3, 2.0)), [[1.5, 2.5, 3]])


def test_bad_arguments_and_missing_writer_library(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(TypeError, match="unexpected"):
        TensorBoard(colour="red")
    monkeypatch.setattr(_summary_writer.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="pip install tensorboardX"):
        _summary_writer.make_writer(str(tmp_path))
