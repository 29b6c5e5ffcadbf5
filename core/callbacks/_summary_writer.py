"""Event-file writers for the TensorBoard callback, over a library that already writes
TensorBoard's format: tensorboardX when installed, else TensorFlow's summary ops.

TensorFlow's tf.summary.scalar/histogram need the `tensorboard` package; the
lower-level tf.summary.write does not, so scalars and histograms are written
through it with the metadata TensorBoard's plugins expect.
"""

import importlib.util

import numpy as np

INSTALL = "pip install tensorboardX (or pip install tensorflow)"


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


class _TFWriter:
    def __init__(self, logdir):
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        self._tf = tf
        self._pb = summary_pb2
        self._writer = tf.summary.create_file_writer(logdir)

    def _metadata(self, plugin, content=b""):
        return self._pb.SummaryMetadata(plugin_data=self._pb.SummaryMetadata.PluginData(
            plugin_name=plugin, content=content))

    def _write(self, tag, tensor, step, plugin, content=b""):
        tf = self._tf
        with self._writer.as_default(), tf.device("/cpu:0"):
            tf.summary.write(tag, tensor, step=int(step), metadata=self._metadata(plugin, content))

    def scalar(self, tag, value, step):
        self._write(tag, self._tf.constant(float(value), dtype=self._tf.float32), step, "scalars")

    def histogram(self, tag, values, step):
        self._write(tag, self._tf.constant(histogram_buckets(values)), step, "histograms")

    def text(self, tag, text, step):
        self._write(tag, self._tf.constant(text), step, "text")

    def graph_config(self, json_text):
        # TensorBoard's graph plugin shows a Keras model from its JSON config under this tag.
        self._write("keras", self._tf.constant(json_text), 0, "graph_keras_model", b"1")

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def make_writer(logdir):
    """A writer for `logdir`, from the first library installed; ImportError naming how to get one."""
    if importlib.util.find_spec("tensorboardX") is not None:
        return _TensorBoardXWriter(logdir)
    if importlib.util.find_spec("tensorflow") is not None:
        return _TFWriter(logdir)
    raise ImportError(f"The TensorBoard callback writes event files through tensorboardX or TensorFlow, and "
                      f"neither is installed: {INSTALL}.")
