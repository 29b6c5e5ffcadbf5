"""core.preprocessing.sequence: Keras 2's sequence helpers (pad_sequences, skip-grams, TimeseriesGenerator)."""

import random

import numpy as np

from ..utils.py_dataset import PyDataset
from ..utils.sequence_utils import pad_sequences  # noqa: F401  (re-export)

_EULER_GAMMA = 0.5772156649015329


def make_sampling_table(size, sampling_factor=1e-5):
    """p[i] = probability of keeping the i-th most frequent word (word2vec subsampling):
    min(1, sqrt(f / s) / (f / s)) = min(1, sqrt(s / f)), with the Zipf (s=1) frequency
    f(rank) ~ 1 / (rank * (log(rank) + gamma) + 1/2 - 1/(12 * rank)). Entry 0 (padding)
    uses rank 1."""
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"make_sampling_table: size must be a positive int; got {size!r}.")
    if not sampling_factor > 0:
        raise ValueError(f"make_sampling_table: sampling_factor must be > 0; got {sampling_factor!r}.")
    rank = np.arange(size, dtype="float64")
    rank[0] = 1.0
    inverse_frequency = rank * (np.log(rank) + _EULER_GAMMA) + 0.5 - 1.0 / (12.0 * rank)
    return np.minimum(1.0, np.sqrt(sampling_factor * inverse_frequency))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Skip-gram pairs from a sequence of word indices (0 is padding and never paired).

    Positive pairs [w_i, w_j] for every j within `window_size` of i (j != i), label 1 (or [0, 1]
    when `categorical`). Then int(negative_samples * positives) negative pairs: a context word from
    the positives paired with a random index in [1, vocabulary_size - 1], label 0 (or [1, 0]).
    `sampling_table[w]` is the probability of keeping w as a target word. Returns (couples, labels).
    Randomness comes from a generator seeded by `seed` (or drawn from Python's `random` when None).
    """
    if window_size < 0:
        raise ValueError(f"skipgrams: window_size must be >= 0; got {window_size!r}.")
    if negative_samples > 0 and vocabulary_size < 2:
        raise ValueError("skipgrams: negative sampling draws indices in [1, vocabulary_size - 1], so "
                         f"vocabulary_size must be >= 2; got {vocabulary_size!r}.")
    rng = random.Random(random.getrandbits(64) if seed is None else seed)
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    sequence = [int(w) for w in sequence]
    couples, labels = [], []
    for i, target in enumerate(sequence):
        if not target:
            continue
        if sampling_table is not None and sampling_table[target] < rng.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([target, sequence[j]])
                labels.append(list(positive) if categorical else positive)
    if negative_samples > 0 and couples:
        count = int(len(labels) * negative_samples)
        targets = [pair[0] for pair in couples]
        rng.shuffle(targets)
        for k in range(count):
            couples.append([targets[k % len(targets)], rng.randint(1, vocabulary_size - 1)])
            labels.append(list(negative) if categorical else negative)
    if shuffle:
        order = list(range(len(couples)))
        rng.shuffle(order)
        couples = [couples[k] for k in order]
        labels = [labels[k] for k in order]
    return couples, labels


class TimeseriesGenerator(PyDataset):
    """Batches of fixed-length windows over a time series, each paired with the target just after it.

    Sample for row r: data[r - length : r : sampling_rate], target: targets[r], for
    r = start_index + length, + stride, ... up to end_index (default len(data) - 1), batch_size rows
    per batch. `shuffle` draws batch_size random rows (with replacement) per batch; `reverse` flips
    each window in time.
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128, **kwargs):
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator: data and targets must have the same length; got "
                             f"{len(data)} and {len(targets)}.")
        for name, value in (("length", length), ("sampling_rate", sampling_rate), ("stride", stride),
                            ("batch_size", batch_size)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"TimeseriesGenerator: {name} must be a positive int; got {value!r}.")
        self.data = data
        self.targets = targets
        self.length = int(length)
        self.sampling_rate = int(sampling_rate)
        self.stride = int(stride)
        self.start_index = int(start_index) + self.length
        self.end_index = len(data) - 1 if end_index is None else int(end_index)
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = int(batch_size)
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator: start_index + length ({self.start_index}) is past end_index "
                             f"({self.end_index}): no window fits. Use a shorter length or more data.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            if not 0 <= index < len(self):
                raise IndexError(f"TimeseriesGenerator: batch index {index} out of range [0, {len(self)}).")
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            samples = samples[:, ::-1, ...]
        return samples, targets
