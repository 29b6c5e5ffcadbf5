"""CSVLogger: write each epoch's logs as a row of a CSV file."""

import csv
import os

import numpy as np

from .callback import Callback


def _cell(value):
    # Lists and arrays go in one quoted cell as "[a, b]", as Keras writes them.
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return f'"[{", ".join(map(str, np.ravel(value)))}]"'


class CSVLogger(Callback):
    """Writes one row per epoch to `filename`: the 0-based epoch, then the logged
    quantities in sorted order. The columns are fixed by the first epoch; when it has
    no `val_` entries, `val_` columns are added too (filled with NA until validation
    runs, for validation_freq > 1), as Keras does. `append=True` continues an existing
    file, writing the header only if the file is empty. The file is flushed after
    every row."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self._write_header = True

    def on_train_begin(self, logs=None):
        self._close()
        if self.append:
            self._write_header = not (os.path.exists(self.filename) and os.path.getsize(self.filename) > 0)
        else:
            self._write_header = True
        # Open for the whole run (closed at train end) so every epoch appends a row.
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self._write_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_cell(logs.get(key, "NA")) for key in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
