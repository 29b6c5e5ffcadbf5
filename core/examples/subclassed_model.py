"""A subclassed model: layers made in __init__, the forward pass written in
call(), trained with compile/fit like any other model.

    python -m core.examples.subclassed_model [--epochs 30]

The task is the classic two spirals: points of two interleaved spirals, to be
told apart (not linearly separable).
"""

import argparse

import numpy as np

import core
from core import layers
from core.utils import set_random_seed


class SpiralClassifier(core.Model):
    def __init__(self, hidden=64, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [layers.Dense(hidden, activation="relu") for _ in range(3)]
        self.dropout = layers.Dropout(dropout)
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.hidden:
            x = self.dropout(layer(x), training=training)
        return self.out(x)


def two_spirals(n, seed, noise=0.05):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    label = rng.integers(0, 2, size=n)
    radius = t / (3 * np.pi)
    angle = t + np.pi * label
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return (points + noise * rng.standard_normal(points.shape)).astype("float32"), label.astype("float32")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    set_random_seed(11)
    x, y = two_spirals(2000, seed=0)
    x_test, y_test = two_spirals(500, seed=1)
    model = SpiralClassifier()
    model.compile(optimizer=core.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=args.epochs, verbose=args.verbose)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
