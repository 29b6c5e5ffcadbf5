"""Time one training step (forward + backward) on the numpy engine.

Prints the seconds per step of a LeNet-5 (batch 128, 28x28x1 input) and of a
784-512-10 MLP, both in float32 through `kbackend` ops and K.value_and_grad.
Run: python bench/numpy_step.py (it sets KERAS_BACKEND=numpy itself).
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ["KERAS_BACKEND"] = "numpy"

import kbackend as K  # noqa: E402

BATCH = 128


def glorot(rng, *shape):
    fan = np.prod(shape[:-1]) + shape[-1]
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan)).astype("float32")


def lenet_params(rng):
    return {"c1": glorot(rng, 5, 5, 1, 32), "b1": np.zeros(32, "float32"),
            "c2": glorot(rng, 5, 5, 32, 64), "b2": np.zeros(64, "float32"),
            "d1": glorot(rng, 4 * 4 * 64, 500), "e1": np.zeros(500, "float32"),
            "d2": glorot(rng, 500, 10), "e2": np.zeros(10, "float32")}


def lenet_loss(p, x, y):
    h = K.relu(K.bias_add(K.conv2d(x, p["c1"]), p["b1"]))
    h = K.pool2d(h, (2, 2), (2, 2))
    h = K.relu(K.bias_add(K.conv2d(h, p["c2"]), p["b2"]))
    h = K.pool2d(h, (2, 2), (2, 2))
    h = K.relu(K.bias_add(K.dot(K.batch_flatten(h), p["d1"]), p["e1"]))
    logits = K.bias_add(K.dot(h, p["d2"]), p["e2"])
    return K.mean(K.sparse_categorical_crossentropy(y, logits, from_logits=True))


def mlp_params(rng):
    return {"w1": glorot(rng, 784, 512), "b1": np.zeros(512, "float32"),
            "w2": glorot(rng, 512, 10), "b2": np.zeros(10, "float32")}


def mlp_loss(p, x, y):
    h = K.relu(K.bias_add(K.dot(x, p["w1"]), p["b1"]))
    logits = K.bias_add(K.dot(h, p["w2"]), p["b2"])
    return K.mean(K.sparse_categorical_crossentropy(y, logits, from_logits=True))


def seconds_per_step(loss, params, x, y, repeats):
    step = K.value_and_grad(loss)
    step(params, x, y)  # warm up (allocator, BLAS threads)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            step(params, x, y)
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def main():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, BATCH).astype("int32")
    lenet = seconds_per_step(lenet_loss, lenet_params(rng),
                             rng.standard_normal((BATCH, 28, 28, 1)).astype("float32"), y, 5)
    mlp = seconds_per_step(mlp_loss, mlp_params(rng),
                           rng.standard_normal((BATCH, 784)).astype("float32"), y, 50)
    print(f"LeNet-5 step (batch {BATCH}): {lenet * 1e3:.1f} ms   (target < 150 ms)")
    print(f"MLP 784-512-10 step (batch {BATCH}): {mlp * 1e3:.2f} ms   (target < 6 ms)")


if __name__ == "__main__":
    main()
