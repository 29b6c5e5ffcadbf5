"""A training loop written by hand: K.gradients for the gradients of a loss
function, the optimizer's apply_gradients for the update, a metric updated
batch by batch. Useful when fit() does not do what a model needs.

    python -m core.examples.custom_training_loop [--epochs 5]

The task: three Gaussian blobs in 8 dimensions, classified by a small MLP.
"""

import argparse

import numpy as np

import kbackend as K
import core
from core import layers, losses, metrics, optimizers
from core.utils import set_random_seed


def blobs(n, seed):
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(42).normal(scale=2.0, size=(3, 8))
    y = rng.integers(0, 3, size=n)
    return (centers[y] + rng.standard_normal((n, 8))).astype("float32"), y.astype("int32")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    set_random_seed(2)
    x, y = blobs(1500, seed=0)
    x_test, y_test = blobs(500, seed=1)
    model = core.Sequential([core.Input((8,)), layers.Dense(32, activation="relu"), layers.Dense(3)])
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = optimizers.SGD(learning_rate=0.05, momentum=0.9)
    accuracy = metrics.SparseCategoricalAccuracy()
    shuffle = np.random.default_rng(0)

    for epoch in range(args.epochs):
        accuracy.reset_state()
        epoch_loss = []
        order = shuffle.permutation(len(x))
        for start in range(0, len(x), args.batch_size):
            rows = order[start:start + args.batch_size]
            xb, yb = x[rows], y[rows]

            def batch_loss(xb=xb, yb=yb):  # K.gradients calls it with no arguments
                return loss_fn(yb, model(xb, training=True))
            grads = K.gradients(batch_loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            logits = model(xb)  # after the update
            accuracy.update_state(yb, logits)
            epoch_loss.append(float(K.convert_to_numpy(loss_fn(yb, logits))))
        print(f"epoch {epoch + 1}/{args.epochs}: loss {np.mean(epoch_loss):.4f}, "
              f"accuracy {float(accuracy.result()):.4f}")

    accuracy.reset_state()
    accuracy.update_state(y_test, model(x_test))
    test_accuracy = float(accuracy.result())
    print(f"test accuracy: {test_accuracy:.4f}")
    return test_accuracy


if __name__ == "__main__":
    main()
