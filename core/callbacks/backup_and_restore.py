"""BackupAndRestore: make an interrupted fit resumable.

During training the callback keeps, in `backup_dir`, the latest weights
(`latest.weights.h5`, through `model.save_weights`) and a small JSON file
(`training_metadata.json`, `{"epoch": completed_epochs, "batch": last_batch}`)
written to a temporary file and moved into place, so a crash never leaves a
half-written one. At the next fit's `on_train_begin` it loads the weights back and
sets `self._resume_epoch` to the number of completed epochs: the trainer reads it
and starts from that epoch (None when there was nothing to resume). The weights file
is in Keras 3's `.weights.h5` layout, which holds the optimizer's state too, so the
resumed training continues with the same moments and step count.
"""

import json
import os
import shutil

from .callback import Callback

_WEIGHTS = "latest.weights.h5"
_METADATA = "training_metadata.json"
_PREVIOUS = ".bkp"


class BackupAndRestore(Callback):
    """Backs up at every epoch end (or every `save_freq` batches when it is an int) and
    restores at train begin. With `double_checkpoint` the previous backup is kept too
    and used when the latest one cannot be loaded. With `delete_checkpoint` the backup
    files are removed when training ends normally."""

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore needs a backup_dir: the folder where the backup is kept.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore save_freq must be 'epoch' or a positive int (a number of batches); "
                             f"got {save_freq!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, _WEIGHTS)
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._resume_epoch = None
        self._completed_epochs = 0
        self._batches_since_save = 0
        self._last_batch = None

    def on_train_begin(self, logs=None):
        self._resume_epoch = None
        try:
            self._restore(self._weights_path, self._metadata_path)
        except OSError:
            previous = self._weights_path + _PREVIOUS
            if not os.path.exists(previous):
                raise
            self._restore(previous, self._metadata_path + _PREVIOUS)
        self._completed_epochs = self._resume_epoch or 0

    def _restore(self, weights_path, metadata_path):
        if os.path.exists(weights_path):
            self.model.load_weights(weights_path)
        if os.path.exists(metadata_path):
            with open(metadata_path, encoding="utf-8") as f:
                self._resume_epoch = int(json.load(f)["epoch"])

    def on_epoch_end(self, epoch, logs=None):
        self._completed_epochs = epoch + 1
        self._last_batch = None
        if self.save_freq == "epoch":
            self._backup()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # Batch indices restart each epoch and may jump (several steps per call).
        new_epoch = self._last_batch is None or batch <= self._last_batch
        self._batches_since_save += batch + 1 if new_epoch else batch - self._last_batch
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._backup()

    def _backup(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if os.path.exists(path):
                    shutil.copyfile(path, path + _PREVIOUS)
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = {"epoch": self._completed_epochs, "batch": -1 if self._last_batch is None else self._last_batch}
        temporary = self._metadata_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(metadata, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self._metadata_path)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        # Only this callback's files: backup_dir may be a folder the user keeps other things in.
        for name in (_WEIGHTS, _METADATA):
            for path in (os.path.join(self.backup_dir, name), os.path.join(self.backup_dir, name + _PREVIOUS)):
                if os.path.exists(path):
                    os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
        self._resume_epoch = None
