"""Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing, MNIST's shapes."""

import os

from ..utils.file_utils import get_file
from ._cache import ORIGIN_FOLDER, cache_path
from ._idx import read_idx

CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
# Debian's dataset-fashion-mnist package installs the same four files (recompressed).
OFFLINE_DIR = "/usr/share/datasets/fashion-mnist"


def _paths():
    cached = [cache_path(name, CACHE_SUBDIR) for name in FILES]
    if not all(os.path.exists(p) for p in cached):
        offline = [os.path.join(OFFLINE_DIR, name) for name in FILES]
        if all(os.path.isfile(p) for p in offline):
            return offline
    return [get_file(name, origin=ORIGIN_FOLDER + name, cache_subdir=CACHE_SUBDIR, file_hash=FILE_HASHES[name])
            for name in FILES]


def load_data():
    """Return (x_train, y_train), (x_test, y_test): uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,); labels 0-9 are
    T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot."""
    y_train, x_train, y_test, x_test = (read_idx(p) for p in _paths())
    for x, y, part in ((x_train, y_train, "training"), (x_test, y_test, "test")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"Fashion-MNIST {part} files disagree: images {x.shape}, labels {y.shape}.")
    return (x_train, y_train), (x_test, y_test)
