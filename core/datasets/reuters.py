"""Reuters newswires: 11,228 articles over 46 topics, each a list of word indexes."""

import json

import numpy as np

from ..utils.file_utils import get_file
from ._cache import ORIGIN_FOLDER
from ._sequences import as_object_array, clip_vocabulary, drop_long, shift

ORIGIN = ORIGIN_FOLDER + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Return (x_train, y_train), (x_test, y_test): object arrays of int lists and int
    topic labels (0-45). The articles are shuffled with `seed`, then the last
    `test_split` fraction is the test set. The other arguments work as in imdb.load_data."""
    if kwargs:
        raise TypeError(f"reuters.load_data got unexpected arguments {sorted(kwargs)}.")
    if not 0 <= test_split < 1:
        raise ValueError(f"reuters.load_data: test_split must be in [0, 1); got {test_split}.")
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(fpath, allow_pickle=True) as f:
        xs, labels = f["x"], f["y"]

    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]

    xs = shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = drop_long(maxlen, xs, labels)
    xs = clip_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    labels = np.asarray(labels)
    return (as_object_array(xs[:cut]), labels[:cut]), (as_object_array(xs[cut:]), labels[cut:])


def get_word_index(path="reuters_word_index.json"):
    """The dict word -> rank (1 = most frequent). Add index_from to map into load_data's indexes."""
    fpath = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(fpath) as f:
        return json.load(f)
