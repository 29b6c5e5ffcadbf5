"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled by sentiment,
each a list of word indexes (words ranked by frequency, 1 = most frequent)."""

import json

import numpy as np

from ..utils.file_utils import get_file
from ._cache import ORIGIN_FOLDER
from ._sequences import as_object_array, clip_vocabulary, drop_long, shift

ORIGIN = ORIGIN_FOLDER + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Return (x_train, y_train), (x_test, y_test). x_* are object arrays of int lists,
    y_* int labels (0 negative, 1 positive). Both splits are shuffled with `seed`.

    num_words: keep the num_words most frequent words (indexes below num_words);
        others become oov_char. None keeps all.
    skip_top: also replace the skip_top most frequent words by oov_char.
    maxlen: drop the sequences of maxlen words or more (Keras drops, it does not cut).
    start_char: prepended to every sequence (None: nothing).
    oov_char: the out-of-vocabulary marker (None: such words are removed).
    index_from: added to every word index, reserving 0..index_from-1 for padding/start/oov.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data got unexpected arguments {sorted(kwargs)}.")
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(fpath, allow_pickle=True) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]

    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    x_train = shift(x_train, start_char, index_from)
    x_test = shift(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = drop_long(maxlen, x_train, y_train)
        x_test, y_test = drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no sequence is shorter than maxlen={maxlen}; increase maxlen.")
    xs = clip_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    cut = len(x_train)
    return (as_object_array(xs[:cut]), np.asarray(y_train)), (as_object_array(xs[cut:]), np.asarray(y_test))


def get_word_index(path="imdb_word_index.json"):
    """The dict word -> rank (1 = most frequent). Add index_from to map into load_data's indexes."""
    fpath = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(fpath) as f:
        return json.load(f)
