"""Boston housing prices: 506 samples of 13 features, target in k$."""

import numpy as np

from ..utils.file_utils import get_file
from ._cache import ORIGIN_FOLDER

ORIGIN = ORIGIN_FOLDER + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Return (x_train, y_train), (x_test, y_test): float64 features (N, 13) and
    targets (N,), shuffled with `seed`; the last `test_split` fraction is the test set."""
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1); got {test_split}.")
    fpath = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(fpath, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
