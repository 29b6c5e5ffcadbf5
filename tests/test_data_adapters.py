"""Data adapters and EpochIterator: every input kind fit/evaluate/predict accept,
checked against plain numpy slicing of the same data."""

import threading
import time
import warnings

import numpy as np
import pytest

import kbackend as K
from core.trainers.data_adapters import (
    EpochIterator,
    get_data_adapter,
    pack_x_y_sample_weight,
    train_validation_split,
    unpack_x_y_sample_weight,
)
from core.utils import PyDataset, Sequence, set_random_seed


def epoch(iterator):
    return [batch for _, batch in iterator.enumerate_epoch()]


def column(batches, part=0):
    """The first column of x (or of another part) of each batch, as lists."""
    return [b[part][:, 0].tolist() if b[part].ndim > 1 else b[part].tolist() for b in batches]


def data(n=10, features=3):
    x = np.arange(n * features, dtype="float32").reshape(n, features)
    y = np.arange(n, dtype="int64") % 3
    return x, y


# -- arrays ---------------------------------------------------------------------------------------

def test_batches_equal_numpy_slices_with_partial_last_batch():
    x, y = data(10)
    sw = np.linspace(0.1, 1.0, 10)
    it = EpochIterator(x, y, sample_weight=sw, batch_size=4)
    assert it.num_batches == 3
    steps_and_batches = list(it.enumerate_epoch())
    assert [s for s, _ in steps_and_batches] == [0, 1, 2]
    for (_, batch), start in zip(steps_and_batches, (0, 4, 8)):
        stop = min(start + 4, 10)
        assert len(batch) == 3
        for got, want in zip(batch, (x, y, sw)):
            assert isinstance(got, np.ndarray)
            np.testing.assert_array_equal(got, want[start:stop])
    assert [len(b[0]) for _, b in steps_and_batches] == [4, 4, 2]


def test_batch_tuple_forms():
    x, y = data(6)
    assert [len(b) for b in epoch(EpochIterator(x, batch_size=4))] == [1, 1]
    assert [len(b) for b in epoch(EpochIterator(x, y, batch_size=4))] == [2, 2]


def test_default_batch_size_and_batch_size_from_steps():
    x, y = data(70)
    assert [len(b[0]) for b in epoch(EpochIterator(x, y))] == [32, 32, 6]
    it = EpochIterator(x, y, steps_per_epoch=7)  # ceil(70 / 7) = 10 per batch
    assert [len(b[0]) for b in epoch(it)] == [10] * 7


def test_shuffle_is_a_permutation_reshuffled_each_epoch_and_seeded():
    n = 50
    x = np.arange(n, dtype="float32")[:, None]
    y = 2 * np.arange(n)
    # Importing jax/tensorflow draws from numpy's global RNG: load the engine before seeding.
    K.convert_to_tensor(x)

    def orders(seed):
        set_random_seed(seed)
        it = EpochIterator(x, y, batch_size=8, shuffle=True)
        result = []
        for _ in range(2):
            batches = epoch(it)
            for bx, by in batches:
                np.testing.assert_array_equal(by, 2 * bx[:, 0])  # x and y stay paired
            result.append(np.concatenate([bx[:, 0] for bx, _ in batches]))
        return result

    first, second = orders(3)
    np.testing.assert_array_equal(np.sort(first), np.arange(n))
    np.testing.assert_array_equal(np.sort(second), np.arange(n))
    assert not np.array_equal(first, np.arange(n))
    assert not np.array_equal(first, second)
    again = orders(3)
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)
    assert not np.array_equal(orders(4)[0], first)


def test_shuffle_batch_permutes_inside_each_chunk():
    n, size = 23, 5
    x = np.arange(n)[:, None]
    set_random_seed(0)
    batches = epoch(EpochIterator(x, batch_size=size, shuffle="batch"))
    assert len(batches) == 5
    for i, (bx,) in enumerate(batches):
        np.testing.assert_array_equal(np.sort(bx[:, 0]), np.arange(i * size, min((i + 1) * size, n)))
    assert any(not np.array_equal(bx[:, 0], np.sort(bx[:, 0])) for (bx,) in batches)


def test_dict_and_list_structures_are_kept():
    x, y = data(7)
    xs = {"image": x, "extra": np.arange(7.0)}
    ys = [y, y * 10]
    batches = epoch(EpochIterator(xs, ys, batch_size=3))
    assert len(batches) == 3
    for i, (bx, by) in enumerate(batches):
        rows = slice(3 * i, min(3 * i + 3, 7))
        assert isinstance(bx, dict) and set(bx) == {"image", "extra"}
        assert isinstance(by, list) and len(by) == 2
        np.testing.assert_array_equal(bx["image"], x[rows])
        np.testing.assert_array_equal(bx["extra"], np.arange(7.0)[rows])
        np.testing.assert_array_equal(by[1], (y * 10)[rows])
    (tx, _), = epoch(EpochIterator((x, x + 1), y, batch_size=8))
    assert isinstance(tx, tuple) and len(tx) == 2
    np.testing.assert_array_equal(tx[1], x + 1)


def test_engine_tensors_and_variables_become_numpy():
    x, y = data(9)
    tx, ty = K.convert_to_tensor(x), K.convert_to_tensor(y)
    batches = epoch(EpochIterator(tx, ty, sample_weight=K.Variable(np.ones(9)), batch_size=4))
    assert len(batches) == 3
    for i, (bx, by, bw) in enumerate(batches):
        assert all(isinstance(a, np.ndarray) for a in (bx, by, bw))
        np.testing.assert_array_equal(bx, x[4 * i:4 * i + 4])
        np.testing.assert_array_equal(by, y[4 * i:4 * i + 4])


def test_python_lists_of_numbers_are_arrays():
    batches = epoch(EpochIterator([[1, 2], [3, 4], [5, 6]], [0, 1, 0], batch_size=2))
    np.testing.assert_array_equal(batches[0][0], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(batches[1][1], [0])


def test_steps_per_epoch_on_arrays_continues_and_wraps_around():
    x = np.arange(10)[:, None]
    it = EpochIterator(x, batch_size=4, steps_per_epoch=2)
    assert it.num_batches == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seen = [column(epoch(it)) for _ in range(3)]
    # batches per pass: [0-3], [4-7], [8-9]; the stream wraps without a warning
    assert seen == [[[0, 1, 2, 3], [4, 5, 6, 7]], [[8, 9], [0, 1, 2, 3]], [[4, 5, 6, 7], [8, 9]]]
    it.reset()
    assert column(epoch(it)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


# -- class_weight ---------------------------------------------------------------------------------

def expected_weights(labels, class_weight):
    return np.array([class_weight.get(int(c), 1.0) for c in labels], dtype="float64")


@pytest.mark.parametrize("form", ["int", "column", "one_hot"])
def test_class_weight_becomes_sample_weight(form):
    labels = np.array([0, 2, 1, 2, 0, 1, 3])
    class_weight = {0: 0.5, 1: 2.0, 2: 3.0}  # class 3 not listed: weight 1
    y = {"int": labels, "column": labels[:, None], "one_hot": np.eye(4)[labels] * 0.9}[form]
    x = np.zeros((7, 2))
    batches = epoch(EpochIterator(x, y, batch_size=4, class_weight=class_weight))
    got = np.concatenate([b[2] for b in batches])
    np.testing.assert_allclose(got, expected_weights(labels, class_weight), rtol=1e-6)


def test_class_weight_multiplies_sample_weight():
    labels = np.array([1, 0, 1, 1])
    sw = np.array([1.0, 2.0, 3.0, 4.0])
    (batch,) = epoch(EpochIterator(np.zeros((4, 1)), labels, sample_weight=sw, batch_size=4,
                                   class_weight={0: 10.0, 1: 0.5}))
    np.testing.assert_allclose(batch[2], sw * expected_weights(labels, {0: 10.0, 1: 0.5}), rtol=1e-6)


def test_class_weight_errors():
    x, y = data(4)
    with pytest.raises(ValueError, match="single output"):
        EpochIterator(x, [y, y], class_weight={0: 1.0})
    with pytest.raises(ValueError, match="integer class indices"):
        EpochIterator(x, y, class_weight={"cat": 1.0})
    with pytest.raises(TypeError, match="class_weight` must be a dict"):
        EpochIterator(x, y, class_weight=[1.0, 2.0])


def test_class_weight_for_generator_batches():
    def gen():
        yield np.zeros((3, 1)), np.array([0, 1, 1])
    (batch,) = epoch(EpochIterator(gen(), class_weight={1: 4.0}))
    np.testing.assert_allclose(batch[2], [1.0, 4.0, 4.0])


# -- validation split -----------------------------------------------------------------------------

def test_train_validation_split_takes_the_last_fraction():
    x, y = data(10)
    (tx, ty, tw), (vx, vy, vw) = train_validation_split((x, y, None), 0.25)
    split = int(np.floor(10 * 0.75))
    np.testing.assert_array_equal(tx, x[:split])
    np.testing.assert_array_equal(ty, y[:split])
    np.testing.assert_array_equal(vx, x[split:])
    np.testing.assert_array_equal(vy, y[split:])
    assert tw is None and vw is None
    (train_x, _), (val_x, _) = train_validation_split(({"a": x, "b": K.convert_to_tensor(x)}, y), 0.2)
    np.testing.assert_array_equal(val_x["a"], x[8:])
    np.testing.assert_array_equal(val_x["b"], x[8:])
    np.testing.assert_array_equal(train_x["b"], x[:8])


def test_train_validation_split_errors():
    x, y = data(10)
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            train_validation_split((x, y), bad)
    with pytest.raises(ValueError, match="only supported for arrays.*generator"):
        train_validation_split((iter([x]), None, None), 0.2)
    with pytest.raises(ValueError, match="2 samples"):
        train_validation_split((x[:2], y[:2]), 0.6)  # floor(2 * 0.4) = 0 training samples


# -- generators -----------------------------------------------------------------------------------

def counting_generator(batches, size=2):
    for i in range(batches):
        yield np.full((size, 1), i), np.full((size,), 10 * i)


def test_generator_without_steps_runs_until_exhausted():
    it = EpochIterator(counting_generator(3))
    assert it.num_batches is None
    batches = epoch(it)
    assert column(batches) == [[0, 0], [1, 1], [2, 2]]
    assert column(batches, 1) == [[0, 0], [10, 10], [20, 20]]
    assert it.num_batches == 3
    with pytest.warns(UserWarning, match="ran out of data"):
        assert epoch(it) == []
    assert it.exhausted


def test_generator_with_steps_continues_then_interrupts():
    it = EpochIterator(counting_generator(5), steps_per_epoch=2)
    assert it.num_batches == 2
    assert column(epoch(it)) == [[0, 0], [1, 1]]
    assert column(epoch(it)) == [[2, 2], [3, 3]]
    with pytest.warns(UserWarning, match="interrupting training"):
        assert column(epoch(it)) == [[4, 4]]
    assert it.exhausted
    assert epoch(it) == []


def test_endless_generator_and_x_only_batches():
    def forever():
        i = 0
        while True:
            yield {"a": np.full((2, 1), i)}
            i += 1
    it = EpochIterator(forever(), steps_per_epoch=3)
    first, second = epoch(it), epoch(it)
    assert [b[0]["a"][0, 0] for b in first + second] == [0, 1, 2, 3, 4, 5]
    assert all(len(b) == 1 for b in first)


def test_batch_size_is_ignored_for_batch_sources():
    # Keras 3 ignores batch_size when the source makes its own batches.
    assert column(epoch(EpochIterator(counting_generator(2, size=3), batch_size=64))) == [[0, 0, 0], [1, 1, 1]]


# -- PyDataset ------------------------------------------------------------------------------------

class ArrayDataset(PyDataset):
    def __init__(self, x, y, batch_size, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size, self.delay = x, y, batch_size, delay
        self.epochs_begun = self.epochs_ended = 0
        self.threads = set()

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        self.threads.add(threading.get_ident())
        if self.delay:
            time.sleep(self.delay * ((index * 7) % 3))  # later indices often finish first
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_py_dataset_batches_in_order_and_hooks():
    x, y = data(10)
    ds = ArrayDataset(x, y, 4)
    assert ds.num_batches == 3 and ds.workers == 1
    it = EpochIterator(ds)
    assert it.num_batches == 3
    for _ in range(2):
        batches = epoch(it)
        np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
        np.testing.assert_array_equal(batches[2][1], y[8:])
    assert ds.epochs_begun == 2 and ds.epochs_ended == 2


def test_py_dataset_with_workers_keeps_index_order():
    n = 40
    x = np.arange(n)[:, None]
    ds = ArrayDataset(x, x[:, 0] * 2, 4, delay=0.01, workers=3, max_queue_size=6)
    it = EpochIterator(ds)
    for _ in range(2):
        batches = epoch(it)
        assert column(batches) == [list(range(i, i + 4)) for i in range(0, n, 4)]
    assert ds.epochs_ended == 2
    assert len(ds.threads - {threading.get_ident()}) >= 2  # really read by worker threads


def test_py_dataset_multiprocessing_falls_back_to_threads():
    x, y = data(8)
    ds = ArrayDataset(x, y, 4, workers=2, use_multiprocessing=True)
    with pytest.warns(UserWarning, match="threads"):
        it = EpochIterator(ds)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in epoch(it)]), x)


def test_py_dataset_shuffle_permutes_batch_order():
    x = np.arange(40)[:, None]
    ds = ArrayDataset(x, x[:, 0], 4)
    set_random_seed(1)
    it = EpochIterator(ds, shuffle=True)
    firsts = [b[0][0, 0] // 4 for b in epoch(it)]
    assert sorted(firsts) == list(range(10)) and firsts != list(range(10))


def test_sequence_without_super_init_and_steps_per_epoch():
    class OldStyle(Sequence):  # Keras 2 style: no super().__init__()
        def __init__(self):
            self.ended = 0

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return np.full((2, 1), index), np.zeros(2)

        def on_epoch_end(self):
            self.ended += 1

    ds = OldStyle()
    assert ds.workers == 1 and ds.max_queue_size == 10 and not ds.use_multiprocessing
    assert [b[0][0, 0] for b in ds] == [0, 1, 2]
    it = EpochIterator(ds, steps_per_epoch=2)
    assert column(epoch(it)) == [[0, 0], [1, 1]]
    with pytest.warns(UserWarning, match="ends early"):
        assert column(epoch(it)) == [[2, 2]]
    assert column(epoch(it)) == [[0, 0], [1, 1]]  # a new pass
    assert ds.ended == 3


def test_endless_py_dataset():
    class Endless(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return np.full((1, 1), index)

    it = EpochIterator(Endless(), steps_per_epoch=4)
    assert it.num_batches == 4
    assert [b[0][0, 0] for b in epoch(it)] == [0, 1, 2, 3]
    assert [b[0][0, 0] for b in epoch(it)] == [4, 5, 6, 7]


def test_py_dataset_requires_len():
    class NoLen(PyDataset):
        def __getitem__(self, index):
            return np.zeros((1, 1))

    with pytest.raises(NotImplementedError, match="__len__"):
        assert EpochIterator(NoLen()).num_batches is None
    with pytest.raises(ValueError, match="workers"):
        PyDataset(workers=-1)


# -- tf.data and torch ------------------------------------------------------------------------------

def test_tf_data_dataset():
    tf = pytest.importorskip("tensorflow")
    x, y = data(10)
    ds = tf.data.Dataset.from_tensor_slices(({"a": x}, y)).batch(4)
    it = EpochIterator(ds)
    assert it.num_batches == 3
    for _ in range(2):  # a dataset can be read again every epoch
        batches = epoch(it)
        assert len(batches) == 3
        for i, (bx, by) in enumerate(batches):
            assert isinstance(bx["a"], np.ndarray)
            np.testing.assert_array_equal(bx["a"], x[4 * i:4 * i + 4])
            np.testing.assert_array_equal(by, y[4 * i:4 * i + 4])
    with pytest.raises(ValueError, match="repeats forever"):
        EpochIterator(ds.repeat())
    assert len(epoch(EpochIterator(ds.repeat(), steps_per_epoch=5))) == 5
    with pytest.raises(ValueError, match="`y` must not be passed"):
        EpochIterator(ds, y)


def test_torch_data_loader():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    x, y = data(10)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=4)
    it = EpochIterator(loader)
    assert it.num_batches == 3
    batches = epoch(it)
    for i, (bx, by) in enumerate(batches):
        assert isinstance(bx, np.ndarray) and isinstance(by, np.ndarray)
        np.testing.assert_array_equal(bx, x[4 * i:4 * i + 4])
        np.testing.assert_array_equal(by, y[4 * i:4 * i + 4])
    with pytest.raises(ValueError, match="`sample_weight` must not be passed"):
        EpochIterator(loader, sample_weight=np.ones(10))


# -- errors and helpers -----------------------------------------------------------------------------

def test_unsupported_input_type_is_named():
    with pytest.raises(TypeError, match="Unsupported input type for x: set.*Accepted input: numpy arrays"):
        get_data_adapter({1, 2, 3})
    with pytest.raises(TypeError, match="unsupported element type.*str"):
        get_data_adapter([np.zeros((2, 1)), "labels"])
    with pytest.raises(ValueError, match="x is None"):
        get_data_adapter(None)


def test_targets_with_batch_sources_are_rejected():
    x, y = data(4)
    with pytest.raises(ValueError, match="generator, `y` must not be passed"):
        EpochIterator(counting_generator(2), y)
    with pytest.raises(ValueError, match="PyDataset, `sample_weight` must not be passed"):
        EpochIterator(ArrayDataset(x, y, 2), sample_weight=np.ones(4))


def test_mismatched_lengths_name_both():
    x, y = data(10)
    with pytest.raises(ValueError, match="x sizes: 10; y sizes: 9"):
        EpochIterator(x, y[:9])
    with pytest.raises(ValueError, match="x sizes: 10, 8"):
        EpochIterator([x, x[:8]])


def test_bad_arguments():
    x, y = data(4)
    with pytest.raises(ValueError, match="shuffle"):
        EpochIterator(x, y, shuffle="yes")
    with pytest.raises(ValueError, match="batch_size"):
        EpochIterator(x, y, batch_size=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        EpochIterator(x, y, steps_per_execution=0)


def test_pack_and_unpack():
    x, y, w = np.zeros(1), np.ones(1), np.full(1, 2.0)
    assert unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    assert unpack_x_y_sample_weight(x)[0] is x
    four = (x, x, x, x)
    assert unpack_x_y_sample_weight(four) == (four, None, None)
    assert pack_x_y_sample_weight(x) is x
    assert pack_x_y_sample_weight([x, x]) == ([x, x],)
    assert pack_x_y_sample_weight(x, y) == (x, y)
    assert pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight([x, y]))[0] == [x, y]
