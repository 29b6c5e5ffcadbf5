"""to_categorical, normalize, pad_sequences and get_file (against a local HTTP server)."""

import functools
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import zipfile

import numpy as np
import pytest

import kbackend as K
from core import utils
from core.preprocessing import sequence
from core.utils import file_utils, get_file, normalize, pad_sequences, to_categorical


# ---- to_categorical -------------------------------------------------------------------------------

def test_to_categorical_matches_identity_rows():
    y = np.array([2, 0, 1, 2])
    out = to_categorical(y)
    np.testing.assert_array_equal(out, np.eye(3, dtype="float32")[y])
    assert out.dtype == np.float32


def test_to_categorical_column_labels_and_num_classes():
    y = np.array([[1], [3], [0]])
    out = to_categorical(y, num_classes=5)
    assert out.shape == (3, 5)
    np.testing.assert_array_equal(out.argmax(-1), [1, 3, 0])
    grid = to_categorical(np.array([[0, 1], [1, 0]]), 2)
    assert grid.shape == (2, 2, 2)
    np.testing.assert_array_equal(grid[..., 1], [[0, 1], [1, 0]])


def test_to_categorical_rejects_out_of_range_and_strings():
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0, 4], num_classes=3)
    with pytest.raises(TypeError, match="integer class labels"):
        to_categorical(["a", "b"])


# ---- normalize ------------------------------------------------------------------------------------

def test_normalize_l2_and_l1_against_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(normalize(x), x / np.sqrt((x ** 2).sum(-1, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(normalize(x, axis=0, order=1), x / np.abs(x).sum(0, keepdims=True), rtol=1e-12)
    z = normalize(np.zeros((2, 3)))
    assert np.all(z == 0)


def test_normalize_engine_tensor():
    x = np.array([[3.0, 4.0], [1.0, 0.0]], dtype="float32")
    out = K.convert_to_numpy(normalize(K.convert_to_tensor(x)))
    np.testing.assert_allclose(out, [[0.6, 0.8], [1.0, 0.0]], rtol=1e-6)


# ---- pad_sequences --------------------------------------------------------------------------------

def test_pad_sequences_sides():
    seqs = [[1, 2, 3, 4], [5], []]
    np.testing.assert_array_equal(pad_sequences(seqs), [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[3, 4], [0, 5], [0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2, truncating="post"), [[1, 2], [0, 5], [0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=3, padding="post", value=-1),
                                  [[2, 3, 4], [5, -1, -1], [-1, -1, -1]])
    assert pad_sequences(seqs).dtype == np.int32


def test_pad_sequences_float_items_and_strings():
    out = pad_sequences([[[1.5, 2.0]], [[3.0, 4.0], [5.0, 6.0]]], dtype="float32", value=0.5)
    assert out.shape == (2, 2, 2)
    np.testing.assert_allclose(out[0], [[0.5, 0.5], [1.5, 2.0]])
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_pad_sequences_errors_and_reexport():
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="sequence 1"):
        pad_sequences([[1], 3])
    assert sequence.pad_sequences is pad_sequences
    assert utils.pad_sequences is pad_sequences


# ---- get_file -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A local HTTP server over a folder holding a plain file, a tar.gz and a zip."""
    root = tmp_path_factory.mktemp("served")
    (root / "data.txt").write_bytes(b"hello kcore\n" * 100)
    inner = tmp_path_factory.mktemp("inner")
    (inner / "pkg").mkdir()
    (inner / "pkg" / "a.txt").write_text("alpha")
    (inner / "pkg" / "b.txt").write_text("beta")
    with tarfile.open(root / "pkg.tar.gz", "w:gz") as tar:
        tar.add(inner / "pkg", arcname="pkg")
    with zipfile.ZipFile(root / "pkg.zip", "w") as zf:
        zf.writestr("zpkg/c.txt", "gamma")
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    (root / "evil.tar.gz").write_bytes(evil.getvalue())

    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def test_get_file_downloads_into_keras_home_and_caches(server, tmp_path, monkeypatch, capsys):
    root, url = server
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = get_file("data.txt", origin=f"{url}/data.txt", file_hash=_sha256(root / "data.txt"))
    assert path == os.path.join(str(tmp_path), "datasets", "data.txt")
    assert open(path, "rb").read() == (root / "data.txt").read_bytes()
    assert "Downloading data from" in capsys.readouterr().err
    assert not [n for n in os.listdir(tmp_path / "datasets") if n.startswith(".download-")]

    def refuse(origin, dest, timeout=None):
        raise AssertionError("a cached, valid file must not be downloaded again")

    monkeypatch.setattr(file_utils, "_download", refuse)
    assert get_file("data.txt", origin=f"{url}/data.txt", md5_hash=_md5(root / "data.txt")) == path
    assert get_file(origin=f"{url}/data.txt") == path  # fname defaults to the URL's last part


def test_get_file_redownloads_a_corrupt_cache_and_rejects_bad_hash(server, tmp_path):
    root, url = server
    target = tmp_path / "sub" / "data.txt"
    target.parent.mkdir()
    target.write_bytes(b"truncated")
    path = get_file("data.txt", origin=f"{url}/data.txt", cache_dir=str(tmp_path), cache_subdir="sub",
                    file_hash=_sha256(root / "data.txt"))
    assert open(path, "rb").read() == (root / "data.txt").read_bytes()
    with pytest.raises(ValueError, match="corrupted"):
        get_file("other.txt", origin=f"{url}/data.txt", cache_dir=str(tmp_path), file_hash="0" * 64)
    assert not os.path.exists(tmp_path / "datasets" / "other.txt")
    with pytest.raises(ValueError, match="corrupted"):
        get_file("f.txt", origin=f"{url}/data.txt", cache_dir=str(tmp_path), file_hash="0" * 64,
                 force_download=True, hash_algorithm="sha256")


def test_get_file_untar_extract_and_zip(server, tmp_path):
    root, url = server
    folder = get_file("pkg", origin=f"{url}/pkg.tar.gz", untar=True, cache_dir=str(tmp_path),
                      file_hash=_sha256(root / "pkg.tar.gz"))
    assert folder == os.path.join(str(tmp_path), "datasets", "pkg")
    assert open(os.path.join(folder, "a.txt")).read() == "alpha"
    assert os.path.exists(folder + ".tar.gz")
    archive = get_file("pkg.zip", origin=f"{url}/pkg.zip", extract=True, cache_dir=str(tmp_path))
    assert archive.endswith("pkg.zip")
    assert open(os.path.join(os.path.dirname(archive), "zpkg", "c.txt")).read() == "gamma"


def test_get_file_refuses_paths_outside_the_folder(server, tmp_path):
    _, url = server
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="outside"):
        get_file("evil.tar.gz", origin=f"{url}/evil.tar.gz", extract=True, cache_dir=str(cache))
    assert not (cache / "escaped.txt").exists()


def test_get_file_offline_error_names_the_url(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: the connection is refused at once
    origin = f"http://127.0.0.1:{port}/missing.npz"
    with pytest.raises(OSError, match=f"could not download {origin}"):
        get_file("missing.npz", origin=origin, cache_dir=str(tmp_path))
    assert not os.path.exists(tmp_path / "datasets" / "missing.npz")
    assert not [n for n in os.listdir(tmp_path / "datasets") if n.startswith(".download-")]


def test_get_file_http_404_and_bad_arguments(server, tmp_path):
    _, url = server
    with pytest.raises(OSError, match="could not download .*nothing.bin"):
        get_file("nothing.bin", origin=f"{url}/nothing.bin", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="origin"):
        get_file("x")
    with pytest.raises(ValueError, match="hash_algorithm"):
        file_utils.resolve_hasher("sha1")
