"""CIFAR-100: 32x32 colour images in 100 fine classes grouped into 20 coarse ones."""

import os

from ..utils.file_utils import get_file
from ._cifar import finish, load_batch

DIRNAME = "cifar-100-python"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """Return (x_train, y_train), (x_test, y_test): uint8 images (N, 32, 32, 3) and
    uint8 labels (N, 1), 0-99 for label_mode="fine" or 0-19 for "coarse"."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: label_mode must be "fine" or "coarse"; got {label_mode!r}.')
    path = get_file(fname=DIRNAME, origin=ORIGIN, untar=True, file_hash=FILE_HASH)
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=key)
    return finish(x_train, y_train, x_test, y_test)
