"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes."""

import os

import numpy as np

from ..utils.file_utils import get_file
from ._cifar import finish, load_batch

DIRNAME = "cifar-10-batches-py"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """Return (x_train, y_train), (x_test, y_test): uint8 images (N, 32, 32, 3)
    (channels first with image_data_format "channels_first") and uint8 labels (N, 1)."""
    path = get_file(fname=DIRNAME, origin=ORIGIN, untar=True, file_hash=FILE_HASH)
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    return finish(x_train, y_train, x_test, y_test)
