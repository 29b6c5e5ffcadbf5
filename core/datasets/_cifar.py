"""Reading the "python version" CIFAR batches: pickled dicts of flat uint8 rows."""

import pickle

import numpy as np

import kbackend


def load_batch(fpath, label_key="labels"):
    """Return (images (N, 3, 32, 32) uint8, labels (N,) uint8) from one batch file."""
    with open(fpath, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{fpath} is not a CIFAR batch with 'data' and {label_key!r}; found keys {sorted(batch)}.")
    data = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return data, np.asarray(batch[label_key], dtype=np.uint8)


def finish(x_train, y_train, x_test, y_test):
    """Labels as (N, 1); images channels-last unless the config says channels_first."""
    y_train = y_train.reshape(-1, 1)
    y_test = y_test.reshape(-1, 1)
    if kbackend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
