"""TensorBoard: write training curves (and weight histograms) as TensorBoard event files.

Layout as in Keras: <log_dir>/train and <log_dir>/validation, each with scalars
"epoch_<metric>" per epoch (validation drops the "val_" prefix so both runs plot on
one chart), "batch_<metric>" with update_freq="batch" or every N batches, and
"epoch_learning_rate" in train. histogram_freq=N writes every weight's histogram
every N epochs under "<layer>/<weight>/histogram".
"""

import os
import time
import warnings

import numpy as np

from .callback import Callback
from ._summary_writer import make_writer


class TensorBoard(Callback):
    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, **kwargs):
        super().__init__()
        for legacy in ("batch_size", "write_grads"):  # Keras 1/2 arguments with no effect in Keras 2.3+
            kwargs.pop(legacy, None)
        if kwargs:
            raise TypeError(f"TensorBoard got unexpected arguments {sorted(kwargs)}.")
        if update_freq != "epoch" and update_freq != "batch" and not (
                isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f'update_freq must be "epoch", "batch" or a positive int; got {update_freq!r}.')
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"histogram_freq must be a non-negative int; got {histogram_freq!r}.")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        if write_images or embeddings_freq or (profile_batch and profile_batch != (0, 0)):
            warnings.warn("TensorBoard: write_images, embeddings and profiling are not written by this "
                          "implementation; scalars, histograms and the model config are.", stacklevel=2)
        self._writers = {}
        self._train_step = 0
        self._epoch_start = None

    # -- writers -----------------------------------------------------------------------------------
    def _writer(self, name):
        if name not in self._writers:
            path = os.path.join(self.log_dir, name)
            os.makedirs(path, exist_ok=True)
            self._writers[name] = make_writer(path)
        return self._writers[name]

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- hooks -------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._train_step = 0
        train = self._writer("train")
        if self.write_graph and hasattr(train, "graph_config") and hasattr(self.model, "to_json"):
            try:
                train.graph_config(self.model.to_json())
            except Exception as e:  # a model with unserializable parts still trains and logs
                warnings.warn(f"TensorBoard: could not write the model graph ({e}).", stacklevel=2)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._train_step += 1
        self._epoch_steps = getattr(self, "_epoch_steps", 0) + 1
        if self.update_freq == "epoch" or self._train_step % self.update_freq:
            return
        writer = self._writer("train")
        for key, value in (logs or {}).items():
            if np.ndim(value) == 0:
                writer.scalar(f"batch_{key}", value, self._train_step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train, val = {}, {}
        for key, value in logs.items():
            if np.ndim(value) != 0:
                continue
            if key.startswith("val_"):
                val[key[4:]] = value
            else:
                train[key] = value
        lr = self._learning_rate()
        if lr is not None and "learning_rate" not in train:
            train["learning_rate"] = lr
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.time() - self._epoch_start
            train["steps_per_second"] = getattr(self, "_epoch_steps", 0) / elapsed if elapsed > 0 else 0.0
        writer = self._writer("train")
        for key, value in train.items():
            writer.scalar(f"epoch_{key}", value, epoch)
        if val:
            vwriter = self._writer("validation")
            for key, value in val.items():
                vwriter.scalar(f"epoch_{key}", value, epoch)
            vwriter.flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(writer, epoch)
        writer.flush()

    def on_train_end(self, logs=None):
        self._close()

    # -- helpers -----------------------------------------------------------------------------------
    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        lr = getattr(optimizer, "learning_rate", None)
        if lr is None or callable(lr) and not hasattr(lr, "numpy") and not hasattr(lr, "value"):
            return None
        try:
            import kbackend

            return float(np.asarray(kbackend.convert_to_numpy(lr)))
        except Exception:
            return None

    def _write_histograms(self, writer, epoch):
        import kbackend

        for layer in self.model.layers:
            for weight in layer.weights:
                path = getattr(weight, "path", None) or f"{layer.name}/{weight.name}"
                writer.histogram(f"{path.replace(':', '_')}/histogram", kbackend.convert_to_numpy(weight), epoch)
