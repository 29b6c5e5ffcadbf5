"""core.distribution: the API on every engine, and data-parallel training on
each engine's own runtime, checked against the same training on one device.

The multi-device runs need a fresh process (2 host devices for jax, 2 gloo
processes for torch, 2 logical CPUs for tensorflow), so each engine's pass
spawns this file as a worker (`python tests/test_distribution.py ENGINE OUT`)
and compares what it wrote with a single-device run done here.
"""

import json
import os
import socket
import subprocess
import sys

if __name__ == "__main__":  # a worker: give the engine its devices before anything starts it
    os.environ["KERAS_BACKEND"] = sys.argv[1]
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if sys.argv[1] == "tensorflow":
        import tensorflow as tf
        tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                                   [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import core  # noqa: E402
import kbackend as K  # noqa: E402
from core import distribution as D  # noqa: E402

ENGINE = K.backend()
HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
BATCH = 16


# -- the shared scenario ----------------------------------------------------------------
def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(75, 6)).astype("float32")  # 5 batches of 16, the last one 11 rows (uneven shares)
    y = rng.integers(0, 3, size=75)
    vx = rng.normal(size=(21, 6)).astype("float32")
    vy = rng.integers(0, 3, size=21)
    return x, y, vx, vy


def _model():
    core.utils.set_random_seed(1)
    model = core.Sequential([core.layers.Input((6,)), core.layers.Dense(8, activation="tanh", name="hidden"),
                             core.layers.Dense(3, activation="softmax", name="out")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class _Recorder(core.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append({k: float(v) for k, v in logs.items()})


def _five_steps(model):
    x, y, _, _ = _data()
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


def _fit_with_validation(model, out_dir, rank):
    """Two epochs, shuffled from a process-specific host RNG (the runtime must
    sync it), validation, a recording callback and a ModelCheckpoint."""
    x, y, vx, vy = _data()
    np.random.seed(100 + rank)
    recorder = _Recorder()
    ckpt_dir = os.path.join(out_dir, f"ckpt_rank{rank}")
    checkpoint = core.callbacks.ModelCheckpoint(os.path.join(ckpt_dir, "model.weights.h5"), save_weights_only=True)
    model.fit(x, y, batch_size=BATCH, epochs=2, validation_data=(vx, vy), callbacks=[recorder, checkpoint],
              verbose=1)
    return recorder.epochs, model.get_weights()


# -- the worker (runs in the subprocesses) ----------------------------------------------
def _worker(engine, out_dir):
    rank = int(os.environ.get("RANK", "0"))
    result = {"devices": D.list_devices()}
    weights = {}
    D.set_distribution(D.DataParallel())
    binding = D.distribution()._binding()
    probe = binding.distribute_batch("train", (np.zeros((4, 6), "float32"),), lambda b: b if engine == "torch"
                                     else tuple(K.convert_to_tensor(a) for a in b))
    if engine == "jax":
        result["batch_spec"] = list(probe[0].sharding.spec)
    elif engine == "tensorflow":
        result["batch_shares"] = [int(v.shape[0]) for v in binding.strategy.experimental_local_results(probe[0])]
    else:
        result["batch_shares"] = [int(probe[0].shape[0])]
    for i, w in enumerate(_five_steps(_model())):
        weights[f"steps_{i}"] = w
    history, fitted = _fit_with_validation(_model(), out_dir, rank)
    result["history"] = history
    for i, w in enumerate(fitted):
        weights[f"fit_{i}"] = w
    if engine == "jax":
        mesh = D.DeviceMesh((1, 2), ["batch", "model"])
        layout_map = D.LayoutMap(mesh)
        layout_map["hidden/kernel"] = (None, "model")
        layout_map["hidden/bias"] = ("model",)
        D.set_distribution(D.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
        model = _model()
        for i, w in enumerate(_five_steps(model)):
            weights[f"mp_{i}"] = w
        kernel = model.layers[0].kernel.value
        result["mp_kernel_spec"] = list(kernel.sharding.spec)
        result["mp_kernel_shard"] = list(kernel.addressable_shards[0].data.shape)
        slots = [v for v in model.optimizer.variables if v.name.startswith("kernel_") and v.shape == (6, 8)]
        result["mp_slot_specs"] = [list(v.value.sharding.spec) for v in slots]
    np.savez(os.path.join(out_dir, f"weights_rank{rank}.npz"), **weights)
    with open(os.path.join(out_dir, f"result_rank{rank}.json"), "w") as f:
        json.dump(result, f)


def _worker_main():
    _worker(sys.argv[1], sys.argv[2])


# -- spawning ---------------------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(tmp_path):
    """Run the worker(s) for this engine; return per-rank (result, weights, stdout)."""
    env = dict(os.environ, KERAS_BACKEND=ENGINE, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    ranks = [{}]
    if ENGINE == "torch":
        port = str(_free_port())
        ranks = [dict(RANK=str(r), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=port) for r in range(2)]
    procs = []
    for extra in ranks:
        log = open(tmp_path / f"stdout_rank{extra.get('RANK', '0')}.txt", "w")
        procs.append((subprocess.Popen([sys.executable, HERE, ENGINE, str(tmp_path)], env=dict(env, **extra),
                                       stdout=log, stderr=subprocess.STDOUT, cwd=ROOT), log))
    for proc, log in procs:
        try:
            proc.wait(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    out = []
    for r, (proc, _) in enumerate(procs):
        text = (tmp_path / f"stdout_rank{r}.txt").read_text()
        assert proc.returncode == 0, f"worker rank {r} failed:\n{text[-4000:]}"
        result = json.loads((tmp_path / f"result_rank{r}.json").read_text())
        out.append((result, dict(np.load(tmp_path / f"weights_rank{r}.npz")), text))
    return out


def _close(got, want, what):
    for i, (a, b) in enumerate(zip(got, want)):
        rel = np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)
        assert rel < 1e-5, f"{what}: weight {i} differs from the one-device run (relative {rel:.2e})"


@pytest.mark.skipif(ENGINE == "numpy", reason="numpy has one device; its error is tested below")
def test_data_parallel_matches_one_device(tmp_path):
    ranks = _spawn(tmp_path)
    result, weights, text = ranks[0]
    assert result["devices"] == (["cpu:0", "cpu:1"])
    if ENGINE == "jax":
        assert result["batch_spec"] == ["batch"]
    else:  # 4 rows split 2 + 2 (tensorflow: the two replicas' shares; torch: this process's)
        assert result["batch_shares"] == ([2, 2] if ENGINE == "tensorflow" else [2])

    # 5 steps on the global batch (the last one uneven): the same weights as one device
    one = _model()
    reference = _five_steps(one)
    for r, (_, w, _) in enumerate(ranks):
        _close([w[f"steps_{i}"] for i in range(len(reference))], reference, f"5 steps, rank {r}")

    # fit with validation: same weights, same logs (metrics reduced over the replicas)
    ref_history, ref_weights = _fit_with_validation(_model(), str(tmp_path / "reference"), 0)
    for r, (res, w, _) in enumerate(ranks):
        _close([w[f"fit_{i}"] for i in range(len(ref_weights))], ref_weights, f"fit, rank {r}")
        assert [sorted(e) for e in res["history"]] == [["accuracy", "loss", "val_accuracy", "val_loss"]] * 2
        for got, want in zip(res["history"], ref_history):
            for key in want:
                assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-6), (r, key)

    # rank 0 alone printed progress and wrote the one checkpoint
    assert text.count("Epoch 1/2") == 1 and text.count("Epoch 2/2") == 1
    assert os.listdir(tmp_path / "ckpt_rank0") == ["model.weights.h5"]
    for r, (_, _, other_text) in enumerate(ranks[1:], start=1):
        assert "Epoch" not in other_text and "step" not in other_text, other_text[-2000:]
        assert not (tmp_path / f"ckpt_rank{r}").exists()
    if ENGINE == "torch":
        assert len(ranks) == 2

    if ENGINE == "jax":  # ModelParallel: kernel split over "model", same numbers
        assert result["mp_kernel_spec"] == [None, "model"]
        assert result["mp_kernel_shard"] == [6, 4]
        assert result["mp_slot_specs"] == [[None, "model"]] * 2
        _close([weights[f"mp_{i}"] for i in range(len(reference))], reference, "ModelParallel")


# -- the API, on every engine -----------------------------------------------------------
def test_list_devices_and_mesh():
    devices = D.list_devices()
    assert devices and all(isinstance(d, str) and ":" in d for d in devices)
    if ENGINE == "numpy":
        assert devices == ["cpu:0"]
    mesh = D.DeviceMesh((1,), ["batch"], devices[:1])
    assert mesh.shape == (1,) and mesh.axis_names == ["batch"] and mesh.devices.shape == (1,)
    with pytest.raises(ValueError, match="needs 2 devices"):
        D.DeviceMesh((2,), ["batch"], devices[:1])
    with pytest.raises(ValueError, match="one name per dimension"):
        D.DeviceMesh((1,), ["a", "b"], devices[:1])
    with pytest.raises(ValueError, match="device_type"):
        D.list_devices("abacus")


def test_layout_map_lookup():
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], D.list_devices()[:1])
    layouts = D.LayoutMap(mesh)
    layouts["dense/kernel"] = (None, "model")
    layouts[".*bias"] = ("model",)
    layouts["conv.*"] = (None, None, None, "model")
    assert layouts["dense/kernel"].axes == (None, "model")  # exact key
    assert layouts["dense_3/bias"].axes == ("model",)  # one regex
    assert layouts["embedding/embeddings"] is None
    assert layouts["dense/kernel"].device_mesh is mesh
    with pytest.raises(ValueError, match="several LayoutMap keys"):
        layouts["conv2d/bias"]
    with pytest.raises(ValueError, match="axes .* mesh lacks"):
        layouts["x"] = ("nope",)
    with pytest.raises(ValueError, match="already has"):
        layouts["dense/kernel"] = (None, None)


def test_set_distribution_and_scope():
    assert D.distribution() is None
    with pytest.raises(TypeError, match="DataParallel"):
        D.set_distribution("all of them")
    dp = D.DataParallel(devices=D.list_devices()[:1])
    with dp.scope():
        assert D.distribution() is dp
    assert D.distribution() is None
    assert D.is_chief()


def test_one_device_data_parallel_trains_as_without():
    """A one-device DataParallel runs the ordinary step: the same weights."""
    reference = _five_steps(_model())
    with D.DataParallel(devices=D.list_devices()[:1]).scope():
        got = _five_steps(_model())
    _close(got, reference, "one-device DataParallel")
    assert D.distribution() is None


@pytest.mark.skipif(ENGINE != "numpy", reason="the other engines have more than one device")
def test_numpy_refuses_several_devices():
    with pytest.raises(ValueError, match="one device only.*jax, torch, tensorflow"):
        D.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="one device only"):
        D.initialize(num_processes=2)
    with pytest.raises(ValueError, match="one device only"):
        D.list_devices("gpu")


@pytest.mark.skipif(ENGINE == "jax", reason="jax supports sharded weights")
def test_model_parallel_needs_jax():
    mesh = D.DeviceMesh((1,), ["model"], D.list_devices()[:1])
    with pytest.raises(ValueError, match="needs the jax engine"):
        D.ModelParallel(layout_map=D.LayoutMap(mesh))


if __name__ == "__main__":
    _worker_main()
