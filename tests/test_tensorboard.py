"""TensorBoard event files: our writer's bytes read back by an independent reader written here
(bitwise CRC-32C, TFRecord framing, protobuf wire format), by TensorBoard's EventAccumulator and
TensorFlow's summary iterator when those are installed, and the TensorBoard callback's curves."""

import glob
import os
import re
import socket
import struct
import subprocess
import sys
import time
import types

import numpy as np
import pytest

import core
from core.callbacks import TensorBoard
from core.callbacks import _event_file as ef
from core.callbacks import _summary_writer
from core.callbacks._summary_writer import EventFileWriter
from core.utils import set_random_seed

# -- an independent reader -------------------------------------------------------------------------


def _crc32c_bitwise(data):
    """CRC-32C a bit at a time (no table), as a check on the writer's table-driven one."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = _crc32c_bitwise(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _records(path):
    """The data of every TFRecord in `path`, with both CRCs checked and no bytes left over."""
    with open(path, "rb") as f:
        blob = f.read()
    out, pos = [], 0
    while pos < len(blob):
        header = blob[pos:pos + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", blob[pos + 8:pos + 12])
        assert header_crc == _masked(header), f"bad length CRC at byte {pos}"
        data = blob[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])
        assert len(data) == length and data_crc == _masked(data), f"bad data CRC at byte {pos}"
        out.append(data)
        pos += 16 + length
    assert pos == len(blob)
    return out


def _varint(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        result |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return result, pos


def _fields(buf):
    """{field number: [raw values]}: ints for varints, bytes for the other wire types."""
    out, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = buf[pos:pos + size], pos + size
        else:
            assert wire == 2, f"unexpected wire type {wire}"
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        out.setdefault(field, []).append(value)
    assert pos == len(buf)
    return out


def _double(f, n):
    return struct.unpack("<d", f[n][0])[0] if n in f else 0.0


def _decode_value(buf):
    f = _fields(buf)
    tag = f[1][0].decode()
    plugin = content = None
    if 9 in f:
        plugin_data = _fields(_fields(f[9][0])[1][0])
        plugin, content = plugin_data[1][0].decode(), plugin_data.get(2, [b""])[0]
    if 2 in f:
        return tag, struct.unpack("<f", f[2][0])[0], plugin, content
    if 5 in f:
        h = _fields(f[5][0])
        histo = {name: _double(h, n) for n, name in enumerate(("min", "max", "num", "sum", "sum_squares"), 1)}
        for n, name in ((6, "bucket_limit"), (7, "bucket")):
            histo[name] = np.frombuffer(h.get(n, [b""])[0], dtype="<f8")
        return tag, histo, plugin, content
    t = _fields(f[8][0])
    shape = [_fields(d)[1][0] for d in _fields(t[2][0]).get(2, [])]
    dtype = t[1][0]
    if dtype == ef.DT_FLOAT:
        value = np.frombuffer(t[5][0], dtype="<f4").reshape(shape)
    else:
        assert dtype == ef.DT_STRING
        value = np.array(t[8], dtype=object).reshape(shape)
    return tag, value, plugin, content


def _read(path):
    """Every event in `path` as {wall_time, step, file_version, values: [(tag, value, plugin, content)]}."""
    events = []
    for data in _records(path):
        f = _fields(data)
        step = f.get(2, [0])[0]
        events.append({"wall_time": _double(f, 1), "step": step - (1 << 64) if step >= 1 << 63 else step,
                       "file_version": f[3][0].decode() if 3 in f else None,
                       "values": [_decode_value(v) for v in _fields(f[5][0]).get(1, [])] if 5 in f else []})
    return events


def _as_buckets(histo):
    """[left, right, count] rows the way TensorBoard turns a HistogramProto into its plot."""
    limits, counts = histo["bucket_limit"], histo["bucket"]
    if not limits.size:
        return np.zeros((0, 3))
    lefts = np.concatenate([[histo["min"]], limits[:-1]])
    rights = np.concatenate([limits[:-1], [histo["max"]]])
    return np.stack([lefts, rights, counts], axis=1)


def _events(folder):
    """{tag: [(step, value, plugin), ...]} over every event file in `folder`."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        for event in _read(path):
            for tag, value, plugin, _ in event["values"]:
                value = _as_buckets(value) if isinstance(value, dict) else value
                out.setdefault(tag, []).append((event["step"], value, plugin))
    return out


def _write_sample(folder):
    """Scalars, a histogram and text through our writer; returns what went in."""
    rng = np.random.default_rng(1)
    sample = {"loss": [(0, 0.75), (1, 0.5), (7, -2.25e-3)], "weights": rng.normal(size=1000) * 3 + 1,
              "note": "héllo **world**"}
    with EventFileWriter(folder) as writer:
        for step, value in sample["loss"]:
            writer.scalar("loss", np.float64(value), step)
        writer.histogram("weights", sample["weights"], 4)
        writer.text("note", sample["note"], 2)
        sample["path"] = writer.path
    return sample


# -- encoding ---------------------------------------------------------------------------------------


def test_crc32c_known_vectors():
    # RFC 3720 (iSCSI) B.4 vectors, and the usual check value
    vectors = {b"123456789": 0xE3069283, b"": 0, bytes(32): 0x8A9136AA, b"\xff" * 32: 0x62A8AB43,
               bytes(range(32)): 0x46DD794E, bytes(range(31, -1, -1)): 0x113FDB5C}
    for data, crc in vectors.items():
        assert ef.crc32c_pure(data) == crc and _crc32c_bitwise(data) == crc
        assert ef.crc32c(data) == crc  # the package's, where one is installed
    data = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    assert ef.crc32c_pure(data) == _crc32c_bitwise(data) == ef.crc32c(data)
    assert ef.masked_crc32c(b"") == 0xA282EAD8 and ef.masked_crc32c(data) == _masked(data)


def test_varint_and_record_framing():
    assert ef.varint(0) == b"\x00" and ef.varint(1) == b"\x01" and ef.varint(300) == b"\xac\x02"
    assert ef.varint(-1) == b"\xff" * 9 + b"\x01"  # int64 -1: 64-bit two's complement
    record = ef.frame_record(b"abc")
    assert record[:8] == (3).to_bytes(8, "little") and record[12:15] == b"abc" and len(record) == 19
    assert int.from_bytes(record[8:12], "little") == _masked(record[:8])
    assert int.from_bytes(record[15:], "little") == _masked(b"abc")


def test_records_match_tensorflow_tfrecord_writer(tmp_path):
    tf = pytest.importorskip("tensorflow")
    payloads = [b"", b"x", bytes(range(256)) * 3]
    with tf.io.TFRecordWriter(str(tmp_path / "tf.rec")) as w:
        for p in payloads:
            w.write(p)
    assert (tmp_path / "tf.rec").read_bytes() == b"".join(ef.frame_record(p) for p in payloads)


# -- the writer -------------------------------------------------------------------------------------


def test_writer_round_trip_with_own_reader(tmp_path):
    start = time.time()
    sample = _write_sample(tmp_path / "new" / "run")  # folders are created
    name = os.path.basename(sample["path"])
    match = re.fullmatch(r"events\.out\.tfevents\.(\d+)\.(.+)", name)
    assert match and match.group(2) == socket.gethostname() and abs(int(match.group(1)) - start) <= 2
    events = _read(sample["path"])
    assert events[0]["file_version"] == "brain.Event:2" and events[0]["values"] == []
    assert all(start - 1 <= e["wall_time"] <= time.time() + 1 for e in events)
    assert len(events) == 1 + 3 + 1 + 1
    scalars = [(e["step"], e["values"][0]) for e in events if e["values"] and e["values"][0][0] == "loss"]
    assert [s for s, _ in scalars] == [0, 1, 7]
    for (step, (_, value, plugin, content)), (expected_step, expected) in zip(scalars, sample["loss"]):
        assert value.shape == () and value.dtype == np.float32 and plugin == "scalars" and content == b""
        assert step == expected_step and value == np.float32(expected)
    (step, (_, histo, plugin, _)), = [(e["step"], e["values"][0]) for e in events
                                      if e["values"] and e["values"][0][0] == "weights"]
    w = sample["weights"]
    assert step == 4 and plugin is None
    assert histo["bucket"].sum() == histo["num"] == w.size and len(histo["bucket"]) == 30
    assert (histo["min"], histo["max"]) == (w.min(), w.max()) and histo["bucket_limit"][-1] == w.max()
    np.testing.assert_allclose([histo["sum"], histo["sum_squares"]], [w.sum(), (w * w).sum()], rtol=1e-12)
    np.testing.assert_array_equal(histo["bucket"], np.histogram(w, bins=30)[0])
    (step, (_, text, plugin, _)), = [(e["step"], e["values"][0]) for e in events
                                     if e["values"] and e["values"][0][0] == "note"]
    assert step == 2 and plugin == "text" and text.shape == () and text.item().decode() == sample["note"]


def test_flush_close_and_a_second_writer_in_the_same_second(tmp_path):
    first = EventFileWriter(tmp_path)
    first.scalar("a", 1.0, 1)
    first.flush()
    assert len(_read(first.path)) == 2  # on disk before close
    second = EventFileWriter(tmp_path)
    assert second.path != first.path
    for step in range(2, 200):
        first.scalar("a", step, step)
    first.close()
    first.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        first.scalar("a", 1.0, 1)
    second.close()
    steps = [e["step"] for e in _read(first.path)[1:]]
    assert steps == list(range(1, 200))
    assert len(_events(tmp_path)["a"]) == 199 and len(_read(second.path)) == 1


def test_scalar_edge_values_and_graph_config(tmp_path):
    with EventFileWriter(tmp_path) as writer:
        writer.scalar("big", 1e300, 3)  # past float32: inf, as a float32 cast gives
        writer.scalar("nan", float("nan"), 2**40)
        writer.scalar("zero", 0, -5)
        writer.histogram("same", np.full(6, 2.5), 0)
        writer.histogram("empty", [], 0)
        writer.graph_config('{"name": "m"}')
        path = writer.path
    events = _events(tmp_path)
    assert events["big"] == [(3, np.float32(np.inf), "scalars")]
    assert events["nan"][0][0] == 2**40 and np.isnan(events["nan"][0][1])
    assert events["zero"][0][:2] == (-5, 0.0)
    np.testing.assert_array_equal(events["same"][0][1], [[2.5, 2.5, 6]])
    assert events["empty"][0][1].shape == (0, 3)
    keras = [v for e in _read(path) for v in e["values"] if v[0] == "keras"][0]
    assert keras[1].item() == b'{"name": "m"}' and keras[2:] == ("graph_keras_model", b"1")


def test_histogram_leaves_out_non_finite_values(tmp_path):
    with EventFileWriter(tmp_path) as writer, pytest.warns(UserWarning, match="2 NaN/inf values of 5"):
        writer.histogram("w", [1.0, np.nan, 3.0, np.inf, 2.0], 1)
    buckets = _events(tmp_path)["w"][0][1]
    assert buckets[:, 2].sum() == 3 and (buckets[0, 0], buckets[-1, 1]) == (1.0, 3.0)


def test_bad_input_names_the_problem(tmp_path):
    with EventFileWriter(tmp_path) as writer:
        with pytest.raises(TypeError, match="tag must be a non-empty str"):
            writer.scalar(3, 1.0, 0)
        with pytest.raises(TypeError, match="step must be an int"):
            writer.scalar("a", 1.0, 1.5)
        with pytest.raises(TypeError, match="needs a number"):
            writer.scalar("a", "high", 0)
        with pytest.raises(TypeError, match="needs a str"):
            writer.text("a", 5, 0)


def test_event_accumulator_reads_the_same_values(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    sample = _write_sample(tmp_path)
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={event_accumulator.TENSORS: 0,
                                                                           event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    assert acc.file_version == 2.0
    loss = acc.Tensors("loss")
    assert [e.step for e in loss] == [0, 1, 7]
    np.testing.assert_array_equal([tensor_util.make_ndarray(e.tensor_proto) for e in loss],
                                  np.float32([v for _, v in sample["loss"]]))
    assert acc.summary_metadata["loss"].plugin_data.plugin_name == "scalars"
    (histo,) = acc.Histograms("weights")
    w = sample["weights"]
    assert histo.step == 4 and sum(histo.histogram_value.bucket) == w.size
    assert (histo.histogram_value.min, histo.histogram_value.max) == (w.min(), w.max())
    (text,) = acc.Tensors("note")
    assert tensor_util.make_ndarray(text.tensor_proto).item().decode() == sample["note"]


def test_tensorflow_summary_iterator_reads_the_same_events(tmp_path):
    tf = pytest.importorskip("tensorflow")
    sample = _write_sample(tmp_path)
    ours = _read(sample["path"])
    theirs = list(tf.compat.v1.train.summary_iterator(sample["path"]))
    assert len(theirs) == len(ours) and theirs[0].file_version == "brain.Event:2"
    # protobuf's own serializer gives back exactly our bytes: the same fields, in canonical form
    assert [e.SerializeToString() for e in theirs] == _records(sample["path"])
    for mine, event in zip(ours[1:], theirs[1:]):
        assert event.step == mine["step"] and event.wall_time == mine["wall_time"]
        value, (tag, expected, plugin, _) = event.summary.value[0], mine["values"][0]
        assert value.tag == tag
        if value.HasField("histo"):
            assert sum(value.histo.bucket) == sample["weights"].size
            np.testing.assert_array_equal(value.histo.bucket_limit, expected["bucket_limit"])
        else:
            assert value.metadata.plugin_data.plugin_name == plugin
            np.testing.assert_array_equal(tf.make_ndarray(value.tensor), expected)


def test_writing_imports_no_framework(tmp_path):
    code = ("import sys; from core.callbacks import _summary_writer as s; w = s.EventFileWriter(sys.argv[1]); "
            "w.scalar('a', 1.0, 0); w.histogram('h', [1.0, 2.0], 0); w.text('t', 'x', 0); w.close(); "
            "print(sorted(m for m in ('tensorflow', 'torch', 'jax') if m in sys.modules))")
    env = dict(os.environ, KERAS_BACKEND="numpy")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), check=True)
    assert out.stdout.strip() == "[]"
    assert len(_read(glob.glob(str(tmp_path / "events.out.tfevents.*"))[0])) == 4


def test_make_writer_prefers_tensorboardx(monkeypatch, tmp_path):
    monkeypatch.setattr(_summary_writer.importlib.util, "find_spec", lambda name: None)
    writer = _summary_writer.make_writer(str(tmp_path))
    assert isinstance(writer, EventFileWriter)
    writer.close()

    calls = []

    class FakeSummaryWriter:
        def __init__(self, logdir):
            calls.append(("init", logdir))

        def add_scalar(self, tag, value, global_step):
            calls.append((tag, value, global_step))

        def close(self):
            calls.append("close")

    monkeypatch.setitem(sys.modules, "tensorboardX", types.SimpleNamespace(SummaryWriter=FakeSummaryWriter))
    monkeypatch.setattr(_summary_writer.importlib.util, "find_spec", lambda name: name == "tensorboardX" or None)
    writer = _summary_writer.make_writer("logs")
    writer.scalar("a", np.float32(2.0), np.int64(3))
    writer.close()
    assert calls == [("init", "logs"), ("a", 2.0, 3), "close"]


def test_histogram_buckets_against_numpy():
    values = np.array([0.0, 1.0, 1.0, 2.0, 4.0])
    buckets = _summary_writer.histogram_buckets(values, bins=4)
    np.testing.assert_allclose(buckets, [[0, 1, 1], [1, 2, 2], [2, 3, 1], [3, 4, 1]])
    np.testing.assert_allclose(_summary_writer.histogram_buckets(np.full(3, 2.0)), [[1.5, 2.5, 3]])


# -- the callback -----------------------------------------------------------------------------------


@pytest.fixture
def own_writer(monkeypatch):
    """The callback on our writer even where tensorboardX is installed."""
    monkeypatch.setattr("core.callbacks.tensorboard.make_writer", EventFileWriter)


def _model():
    model = core.Sequential([core.layers.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
                             core.layers.Dense(1, name="out")])
    model.compile(optimizer=core.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5]) + 0.3).astype("float32")[:, None]


def test_epoch_scalars_match_history(tmp_path, own_writer):
    set_random_seed(0)
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(log_dir=str(tmp_path), histogram_freq=2)])
    train, val = _events(tmp_path / "train"), _events(tmp_path / "validation")
    for tag, key in (("epoch_loss", "loss"), ("epoch_mae", "mae")):
        steps = [s for s, _, _ in train[tag]]
        assert steps == [0, 1, 2]
        np.testing.assert_allclose([float(v) for _, v, _ in train[tag]], history.history[key], rtol=1e-6)
        np.testing.assert_allclose([float(v) for _, v, _ in val[tag]], history.history[f"val_{key}"], rtol=1e-6)
        assert train[tag][0][2] == "scalars"
    assert "val_loss" not in "".join(val) and "epoch_val_loss" not in train
    np.testing.assert_allclose([float(v) for _, v, _ in train["epoch_learning_rate"]], [0.05] * 3, rtol=1e-6)
    # histograms at epochs 0 and 2: bucket counts add up to the weight's size
    kernel = train["hidden/kernel/histogram"]
    assert [s for s, _, _ in kernel] == [0, 2]
    assert kernel[-1][1].shape[1] == 3 and kernel[-1][1][:, 2].sum() == 12
    final = core.backend.convert_to_numpy(model.layers[0].kernel)
    np.testing.assert_allclose([kernel[-1][1][0, 0], kernel[-1][1][-1, 1]], [final.min(), final.max()], rtol=1e-6)
    assert "out/bias/histogram" in train


def test_batch_updates_count_global_steps(tmp_path):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=0,
                        callbacks=[TensorBoard(log_dir=str(tmp_path), update_freq=3, write_graph=False)])
    batch = _events(tmp_path / "train")["batch_loss"]
    assert [s for s, _, _ in batch] == [3, 6]  # 8 batches in all, every 3rd is written
    assert not os.path.exists(tmp_path / "validation")
    assert len(history.history["loss"]) == 2


def test_graph_config_is_written(tmp_path, own_writer):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[TensorBoard(log_dir=str(tmp_path))])
    events = _events(tmp_path / "train")
    step, value, plugin = events["keras"][0]
    assert plugin == "graph_keras_model" and b"hidden" in value.item()


def test_two_fits_keep_both_runs(tmp_path, own_writer):
    x, y = _data()
    model = _model()
    callback = TensorBoard(log_dir=str(tmp_path), write_graph=False)
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[callback])  # same second, same folder
    assert len(glob.glob(str(tmp_path / "train" / "events.out.tfevents.*"))) == 2
    assert [s for s, _, _ in _events(tmp_path / "train")["epoch_loss"]] == [0, 1, 0]


def test_bad_callback_arguments():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(TypeError, match="unexpected"):
        TensorBoard(colour="red")
