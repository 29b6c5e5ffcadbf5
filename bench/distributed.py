"""Data-parallel throughput on the CPU: W1 on one device vs two, per engine.

    python bench/distributed.py [--engines jax,torch,tensorflow] [--epochs 3] [--samples 7680]

W1: Flatten 28x28, Dense 512 relu, Dropout 0.2, Dense 10 softmax; Adam; global batch 128.
Two devices means: jax with 2 host devices (XLA_FLAGS=--xla_force_host_platform_device_count=2),
torch with 2 gloo processes on 127.0.0.1 (each computing 64 rows of every batch), tensorflow with a
MirroredStrategy over 2 logical CPUs. numpy has one device and runs the 1-device row only. Each run
is its own process; the figure is training samples/second (global), the median of the epochs after
the first (compilation and warm-up excluded), as measured by rank 0. On a CPU the "devices" share
the same cores, so this measures the runtime's overhead more than a speed-up.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINES = ("numpy", "jax", "torch", "tensorflow")


def child(engine, devices, epochs, samples, out):
    os.environ["KERAS_BACKEND"] = engine
    if engine == "jax":
        os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    if engine == "tensorflow":
        import tensorflow as tf
        tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                                   [tf.config.LogicalDeviceConfiguration()] * devices)
    sys.path.insert(0, ROOT)
    import numpy as np

    import core
    from core import distribution as D
    if devices > 1:
        D.set_distribution(D.DataParallel())
    rng = np.random.default_rng(0)
    x = rng.random((samples, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    core.utils.set_random_seed(0)
    model = core.Sequential([core.Input(shape=(28, 28)), core.layers.Flatten(),
                             core.layers.Dense(512, activation="relu"), core.layers.Dropout(0.2),
                             core.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []

    class Clock(core.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, callbacks=[Clock()])
    if D.is_chief():
        rate = statistics.median(samples / t for t in times[1:] or times)
        with open(out, "w") as f:
            json.dump({"samples_per_s": rate}, f)


def run(engine, devices, epochs, samples):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--child", engine, str(devices), str(epochs), str(samples),
               out]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        ranks = [{}]
        if engine == "torch" and devices > 1:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = str(s.getsockname()[1])
            ranks = [dict(RANK=str(r), WORLD_SIZE=str(devices), MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
                     for r in range(devices)]
        procs = [subprocess.Popen(cmd, env=dict(env, **extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for extra in ranks]
        logs = [p.communicate()[0] for p in procs]
        if any(p.returncode for p in procs) or not os.path.exists(out):
            return None, logs[0][-2000:]
        with open(out) as f:
            return json.load(f)["samples_per_s"], None


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        engine, devices, epochs, samples, out = sys.argv[2:7]
        child(engine, int(devices), int(epochs), int(samples), out)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=7680)
    args = parser.parse_args()
    print(f"W1 (MLP 784-512-10, Adam, global batch 128), {args.samples} samples, CPU, samples/s")
    print(f"{'engine':<12}{'1 device':>12}{'2 devices':>12}{'ratio':>8}")
    for engine in args.engines.split(","):
        one, err = run(engine, 1, args.epochs, args.samples)
        two, err2 = (None, "numpy has one device") if engine == "numpy" else run(engine, 2, args.epochs,
                                                                                 args.samples)
        ratio = f"{two / one:.2f}" if one and two else "-"
        print(f"{engine:<12}{one or 0:>12.0f}{two or 0:>12.0f}{ratio:>8}")
        for e in (err, err2):
            if e and e != "numpy has one device":
                print(f"  {engine} failed:\n{e}")


if __name__ == "__main__":
    main()
