"""The word-index post-processing shared by imdb and reuters."""

import numpy as np


def shift(xs, start_char, index_from):
    """Prefix start_char (if not None) and offset every word index by index_from."""
    prefix = [] if start_char is None else [start_char]
    return [prefix + [int(w) + index_from for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """Keep only the sequences shorter than maxlen (Keras drops, not cuts, long ones)."""
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], np.asarray(labels)[keep]


def clip_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become oov_char, or vanish when it is None."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0) + 1
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_object_array(xs):
    """Ragged sequences as a 1-D object array of lists (what Keras 2 returned)."""
    out = np.empty(len(xs), dtype=object)
    for i, x in enumerate(xs):
        out[i] = x
    return out
