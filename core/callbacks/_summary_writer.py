"""Event-file writers for the TensorBoard callback: tensorboardX when installed, else our own
writer of TensorBoard's event-file format (numpy and the standard library only).

Our writer lays summaries out as TensorFlow 2's tf.summary does: scalars and text as
tensors tagged with the "scalars" / "text" plugin, histograms as HistogramProto (which
TensorBoard converts for its histogram plugin), the model config under "keras" for the
graph plugin.
"""

import importlib.util
import os
import socket
import time
import warnings

import numpy as np

from . import _event_file as ef


def histogram_buckets(values, bins=30):
    """TensorBoard's histogram layout: rows of [left edge, right edge, count]."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        return np.zeros((0, 3))
    low, high = values.min(), values.max()
    if low == high:
        return np.array([[low - 0.5, high + 0.5, float(values.size)]])
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1)


def _check_tag(tag):
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"A summary tag must be a non-empty str, like 'epoch_loss'; got {tag!r}.")
    return tag


def _check_step(step):
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)):
        raise TypeError(f"A summary step must be an int (the epoch or batch number); got {step!r}.")
    return int(step)


class EventFileWriter:
    """Writes one `events.out.tfevents.<time>.<host>` file in `logdir` (created if missing).

    Records go through a buffered file: flush() hands them to the OS, close() flushes and
    closes (and is safe to call twice)."""

    def __init__(self, logdir, filename_suffix=""):
        logdir = os.fspath(logdir)
        os.makedirs(logdir, exist_ok=True)
        base = os.path.join(logdir, f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}")
        self.path, self._file = None, None
        for n in range(1000):  # a second writer in the same second and folder gets ".1", ".2"...
            path = base + (f".{n}" if n else "") + filename_suffix
            try:
                self._file = open(path, "xb")
            except FileExistsError:
                continue
            self.path = path
            break
        if self._file is None:
            raise FileExistsError(f"Could not create a new event file named {base}.*: 1000 already exist; "
                                  f"use another log directory.")
        self._write(ef.event(time.time(), file_version=ef.FILE_VERSION))

    def _write(self, event_bytes):
        if self._file is None:
            raise RuntimeError(f"This event-file writer ({self.path}) is closed; create a new one to write more.")
        self._file.write(ef.frame_record(event_bytes))

    def _value(self, step, value):
        self._write(ef.event(time.time(), step=_check_step(step), values=[value]))

    def scalar(self, tag, value, step):
        """A float32 scalar tensor for TensorBoard's scalars plugin."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"scalar {tag!r} needs a number (or 0-d array); got {type(value).__name__} "
                            f"{value!r}.") from None
        self._value(step, ef.summary_value(_check_tag(tag), tensor=ef.tensor_proto(ef.DT_FLOAT, float_val=[value]),
                                           metadata=ef.summary_metadata("scalars")))

    def histogram(self, tag, values, step, bins=30):
        """A HistogramProto of `values`' finite entries, `bins` equal-width buckets between min and max."""
        _check_tag(tag)
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        finite = np.isfinite(values)
        if not finite.all():
            warnings.warn(f"histogram {tag!r}: {int((~finite).sum())} NaN/inf values of {values.size} are left "
                          f"out (TensorBoard cannot bucket them).", stacklevel=2)
            values = values[finite]
        buckets = histogram_buckets(values, bins)
        low, high = (values.min(), values.max()) if values.size else (0.0, 0.0)
        histo = ef.histogram_proto(low, high, values.size, values.sum(), np.dot(values, values),
                                   bucket_limit=buckets[:, 1], bucket=buckets[:, 2])
        self._value(step, ef.summary_value(tag, histo=histo))

    def text(self, tag, text, step):
        """A string scalar tensor for TensorBoard's text plugin (which renders Markdown)."""
        if not isinstance(text, (str, bytes)):
            raise TypeError(f"text {tag!r} needs a str; got {type(text).__name__}.")
        self._value(step, ef.summary_value(_check_tag(tag), tensor=ef.tensor_proto(ef.DT_STRING, string_val=[text]),
                                           metadata=ef.summary_metadata("text")))

    def graph_config(self, json_text):
        # TensorBoard's graph plugin shows a Keras model from its JSON config under this tag.
        tensor = ef.tensor_proto(ef.DT_STRING, string_val=[json_text])
        metadata = ef.summary_metadata("graph_keras_model", b"1")
        self._value(0, ef.summary_value("keras", tensor=tensor, metadata=metadata))

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _TensorBoardXWriter:
    def __init__(self, logdir):
        from tensorboardX import SummaryWriter

        self._writer = SummaryWriter(logdir)

    def scalar(self, tag, value, step):
        self._writer.add_scalar(tag, float(value), global_step=int(step))

    def histogram(self, tag, values, step):
        self._writer.add_histogram(tag, np.asarray(values, dtype=np.float64), global_step=int(step))

    def text(self, tag, text, step):
        self._writer.add_text(tag, text, global_step=int(step))

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def make_writer(logdir):
    """A writer for `logdir`: tensorboardX's when installed, else our own event-file writer."""
    if importlib.util.find_spec("tensorboardX") is not None:
        return _TensorBoardXWriter(logdir)
    return EventFileWriter(logdir)
