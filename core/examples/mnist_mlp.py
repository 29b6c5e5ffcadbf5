"""Keras's classic MNIST MLP: Flatten, Dense 512 relu, Dropout 0.2, Dense 10
softmax, trained with Adam on the real MNIST; prints the test accuracy.

    python -m core.examples.mnist_mlp [--epochs 5] [--batch-size 128]
"""

import argparse

import kbackend as K
from core import layers
from core.datasets import mnist
from core.models import Sequential
from core.utils import set_random_seed


def load_mnist():
    """(x_train, y_train), (x_test, y_test) as float32 28x28 images in [0, 1] and int labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return ((x_train / 255.0).astype("float32"), y_train.astype("int32")), \
        ((x_test / 255.0).astype("float32"), y_test.astype("int32"))


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
