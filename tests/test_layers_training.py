"""The layer library learns, on every engine: LeNet-5 on scikit-learn's digits
upscaled to 28x28."""

import numpy as np
import pytest

from core import layers
from core.models import Sequential
from core.utils import set_random_seed


def digits_28x28x1():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    images = np.kron(digits.images / 16.0, np.ones((1, 3, 3)))  # 8x8 -> 24x24
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[..., None].astype("float32")
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], digits.target[order]
    return (images[:1437], labels[:1437]), (images[1437:], labels[1437:])


@pytest.mark.heavy_compute  # convolutions over ~1400 images: optimised XLA programs pay back their compile time
def test_lenet5_learns_upscaled_digits_above_97_percent():
    (x, y), (xt, yt) = digits_28x28x1()
    set_random_seed(3)
    model = Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(500, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    # Keras's parameter counts for this model
    assert [layer.count_params() for layer in model.layers] == [832, 0, 51264, 0, 0, 512500, 5010]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=128, epochs=12, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy > 0.97
