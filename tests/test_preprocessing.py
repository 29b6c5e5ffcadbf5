"""core.preprocessing.text / sequence / image against hand-derived values."""

import hashlib
import json
import math

import numpy as np
import pytest

from core import layers, utils
from core.models import Sequential
from core.preprocessing import image, sequence, text
from core.preprocessing.sequence import TimeseriesGenerator, make_sampling_table, skipgrams
from core.preprocessing.text import Tokenizer, hashing_trick, one_hot, text_to_word_sequence, tokenizer_from_json
from core.utils import set_random_seed

# ---- text_to_word_sequence, hashing ----------------------------------------------------------------


def test_text_to_word_sequence_filters_lowers_and_splits():
    assert text_to_word_sequence("Hello, World! It's\tfine.") == ["hello", "world", "it's", "fine"]
    assert text_to_word_sequence("Hello World", lower=False) == ["Hello", "World"]
    assert text_to_word_sequence("a,b c", filters="", split=",") == ["a", "b c"]
    assert text_to_word_sequence("  ...  ") == []
    with pytest.raises(TypeError, match="needs a str"):
        text_to_word_sequence(["a b"])


def test_hashing_trick_with_callable_and_md5():
    # len() as the hash: index = len(word) % (n - 1) + 1 = len % 4 + 1.
    assert hashing_trick("aa bbb c", 5, hash_function=len) == [3, 4, 2]
    expected = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in ("hello", "world", "hello")]
    assert hashing_trick("Hello world, hello!", 10, hash_function="md5") == expected
    with pytest.raises(ValueError, match="hash_function"):
        hashing_trick("a", 10, hash_function="sha1")
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        hashing_trick("a", 1)


def test_one_hot_uses_builtin_hash_in_range():
    out = one_hot("The cat and the hat", 7)
    assert out == [hash(w) % 6 + 1 for w in ("the", "cat", "and", "the", "hat")]
    assert out[0] == out[3] and all(1 <= i <= 6 for i in out)


# ---- Tokenizer --------------------------------------------------------------------------------------

TEXTS = ["The cat sat.", "The dog, the cat!", "A dog"]
# counts: the 3, cat 2, sat 1, dog 2, a 1 (first seen in that order) -> by count, ties in first-seen order.
WORD_INDEX = {"the": 1, "cat": 2, "dog": 3, "sat": 4, "a": 5}


def fitted(**kwargs):
    tok = Tokenizer(**kwargs)
    tok.fit_on_texts(TEXTS)
    return tok


def test_tokenizer_index_order_and_counts():
    tok = fitted()
    assert tok.word_index == WORD_INDEX
    assert tok.index_word == {i: w for w, i in WORD_INDEX.items()}
    assert dict(tok.word_counts) == {"the": 3, "cat": 2, "sat": 1, "dog": 2, "a": 1}
    assert list(tok.word_counts) == ["the", "cat", "sat", "dog", "a"]
    assert dict(tok.word_docs) == {"the": 2, "cat": 2, "sat": 1, "dog": 2, "a": 1}
    assert dict(tok.index_docs) == {1: 2, 2: 2, 3: 2, 4: 1, 5: 1}
    assert tok.document_count == 3


def test_tokenizer_sequences_num_words_and_oov():
    tok = fitted()
    assert tok.texts_to_sequences(["the cat sat", "A dog barked"]) == [[1, 2, 4], [5, 3]]
    assert tok.sequences_to_texts([[1, 2, 4, 99]]) == ["the cat sat"]
    assert fitted(num_words=4).texts_to_sequences(["the cat sat", "a dog barked"]) == [[1, 2], [3]]
    oov = fitted(oov_token="<oov>")
    assert oov.word_index == {"<oov>": 1, "the": 2, "cat": 3, "dog": 4, "sat": 5, "a": 6}
    assert oov.texts_to_sequences(["the cat barked"]) == [[2, 3, 1]]
    oov4 = fitted(oov_token="<oov>", num_words=4)
    assert oov4.texts_to_sequences(["the sat dog"]) == [[2, 1, 1]]  # sat=5, dog=4 are >= num_words
    assert oov4.sequences_to_texts([[2, 3, 5, 42]]) == ["the cat <oov> <oov>"]
    with pytest.raises(TypeError, match="Wrap it"):
        tok.texts_to_sequences("the cat")


def test_tokenizer_char_level_and_token_lists():
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abCa"])
    assert chars.word_index == {"a": 1, "b": 2, "c": 3}
    assert chars.texts_to_sequences(["cab"]) == [[3, 1, 2]]
    tokens = Tokenizer()
    tokens.fit_on_texts([["Hello", "World", "hello"]])
    assert tokens.word_index == {"hello": 1, "world": 2}


def test_texts_to_matrix_modes():
    tok = fitted()
    texts = ["the the cat", "dog sat sat sat"]
    count = np.array([[0, 2, 1, 0, 0, 0], [0, 0, 0, 1, 3, 0]], dtype=float)
    np.testing.assert_array_equal(tok.texts_to_matrix(texts, mode="count"), count)
    np.testing.assert_array_equal(tok.texts_to_matrix(texts), (count > 0).astype(float))
    freq = np.array([[0, 2 / 3, 1 / 3, 0, 0, 0], [0, 0, 0, 1 / 4, 3 / 4, 0]])
    np.testing.assert_allclose(tok.texts_to_matrix(texts, mode="freq"), freq)
    # tfidf = (1 + ln count) * ln(1 + N / (1 + docs)), N = 3; the/cat/dog are in 2 docs, sat in 1.
    ln = math.log
    tfidf = np.zeros((2, 6))
    tfidf[0, 1] = (1 + ln(2)) * ln(1 + 3 / 3)
    tfidf[0, 2] = 1 * ln(1 + 3 / 3)
    tfidf[1, 3] = 1 * ln(1 + 3 / 3)
    tfidf[1, 4] = (1 + ln(3)) * ln(1 + 3 / 2)
    np.testing.assert_allclose(tok.texts_to_matrix(texts, mode="tfidf"), tfidf, rtol=1e-12)
    np.testing.assert_allclose(tfidf[0, 1], 1.1736001944781463, rtol=1e-12)  # (1 + ln 2) ln 2 by hand
    # num_words narrows the matrix to columns 0..num_words-1.
    np.testing.assert_array_equal(fitted(num_words=3).texts_to_matrix(texts, mode="count"), count[:, :3])
    with pytest.raises(ValueError, match="mode must be one of"):
        tok.texts_to_matrix(texts, mode="onehot")


def test_fit_on_sequences_and_sequences_to_matrix():
    tok = Tokenizer(num_words=4)
    tok.fit_on_sequences([[1, 2], [2, 3, 3]])
    assert tok.document_count == 2 and dict(tok.index_docs) == {1: 1, 2: 2, 3: 1}
    out = tok.sequences_to_matrix([[3, 3, 1, 7], []], mode="tfidf")
    ln2 = math.log(2)
    np.testing.assert_allclose(out, [[0, ln2, 0, (1 + ln2) * ln2], [0, 0, 0, 0]], rtol=1e-12)
    np.testing.assert_array_equal(tok.sequences_to_matrix([[3, 3, 1, 7]], mode="count"), [[0, 1, 0, 2]])
    with pytest.raises(ValueError, match="num_words or call fit_on_texts"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="tfidf"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")


def test_tokenizer_json_round_trip():
    tok = fitted(num_words=5, oov_token="<oov>")
    payload = tok.to_json()
    assert json.loads(payload)["class_name"] == "Tokenizer"
    back = tokenizer_from_json(payload)
    assert back.word_index == tok.word_index
    assert back.index_word == tok.index_word and all(isinstance(k, int) for k in back.index_word)
    assert dict(back.index_docs) == dict(tok.index_docs)
    assert (back.num_words, back.oov_token, back.document_count) == (5, "<oov>", 3)
    texts = ["the cat ate", "a dog"]
    assert back.texts_to_sequences(texts) == tok.texts_to_sequences(texts)
    np.testing.assert_array_equal(back.texts_to_matrix(texts, "tfidf"), tok.texts_to_matrix(texts, "tfidf"))
    with pytest.raises(ValueError, match="Tokenizer.to_json"):
        tokenizer_from_json("{}")


# ---- skipgrams, make_sampling_table -----------------------------------------------------------------


def test_skipgrams_window_one_without_negatives():
    couples, labels = skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert labels == [1, 1, 1, 1]
    # 0 is padding: never a target nor a context.
    assert skipgrams([1, 0, 2], 4, window_size=1, negative_samples=0, shuffle=False) == ([], [])
    assert skipgrams([1, 0, 2], 4, window_size=2, negative_samples=0, shuffle=False)[0] == [[1, 2], [2, 1]]
    _, cat = skipgrams([1, 2], 4, window_size=1, negative_samples=0, shuffle=False, categorical=True)
    assert cat == [[0, 1], [0, 1]]


def test_skipgrams_negatives_and_shuffle():
    couples, labels = skipgrams([1, 2, 3], 10, window_size=1, negative_samples=1.0, shuffle=False, seed=3)
    assert couples[:4] == [[1, 2], [2, 1], [2, 3], [3, 2]] and labels == [1] * 4 + [0] * 4
    negatives = couples[4:]
    assert sorted(pair[0] for pair in negatives) == [1, 2, 2, 3]  # each positive target once
    assert all(1 <= pair[1] <= 9 for pair in negatives)
    shuffled = skipgrams([1, 2, 3], 10, window_size=1, negative_samples=1.0, shuffle=True, seed=3)
    assert sorted(zip(map(tuple, shuffled[0]), shuffled[1])) == sorted(zip(map(tuple, couples), labels))
    assert shuffled == skipgrams([1, 2, 3], 10, window_size=1, negative_samples=1.0, shuffle=True, seed=3)
    half = skipgrams([1, 2, 3], 10, window_size=1, negative_samples=0.5, shuffle=False, seed=0)[1]
    assert half == [1, 1, 1, 1, 0, 0]


def test_skipgrams_sampling_table_drops_targets():
    couples, _ = skipgrams([1, 2, 3], 4, window_size=1, negative_samples=0, shuffle=False,
                           sampling_table=[1.0, 1.0, 0.0, 1.0], seed=0)
    assert couples == [[1, 2], [3, 2]]


def test_make_sampling_table_zipf_formula():
    gamma = 0.5772156649015329

    def expected(rank, factor):
        inv_freq = rank * (math.log(rank) + gamma) + 0.5 - 1 / (12 * rank)
        return min(1.0, math.sqrt(factor * inv_freq))

    table = make_sampling_table(6)
    np.testing.assert_allclose(table, [expected(max(r, 1), 1e-5) for r in range(6)], rtol=1e-12)
    # rank 1: 1 * gamma + 1/2 - 1/12 = 0.99388233...; sqrt(1e-5 * that) by hand.
    np.testing.assert_allclose(table[1], 0.00315259, rtol=1e-6)
    assert np.all(np.diff(table[1:]) > 0)  # frequent (low-rank) words are kept less often
    np.testing.assert_allclose(make_sampling_table(4, sampling_factor=1.0), [0.996937, 0.996937, 1.0, 1.0],
                               rtol=1e-6)


# ---- TimeseriesGenerator ----------------------------------------------------------------------------


def test_timeseries_generator_sampling_rate():
    data = np.array([[i] for i in range(50)])
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert isinstance(gen, utils.PyDataset) and len(gen) == 20  # rows 10..49, 2 per batch
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]])
    np.testing.assert_array_equal(y, [[10], [11]])
    x, y = gen[19]
    np.testing.assert_array_equal(x[:, :, 0], [[38, 40, 42, 44, 46], [39, 41, 43, 45, 47]])
    np.testing.assert_array_equal(y, [[48], [49]])


def test_timeseries_generator_stride_reverse_and_bounds():
    data = np.arange(10)
    gen = TimeseriesGenerator(data, data * 10, length=2, stride=3, batch_size=2)
    assert len(gen) == 2  # rows 2, 5 | 8
    np.testing.assert_array_equal(gen[0][0], [[0, 1], [3, 4]])
    np.testing.assert_array_equal(gen[0][1], [20, 50])
    np.testing.assert_array_equal(gen[1][0], [[6, 7]])
    np.testing.assert_array_equal(gen[1][1], [80])
    rev = TimeseriesGenerator(data, data, length=2, stride=3, batch_size=2, reverse=True)
    np.testing.assert_array_equal(rev[0][0], [[1, 0], [4, 3]])
    bounded = TimeseriesGenerator(data, data, length=2, start_index=1, end_index=6, batch_size=10)
    assert len(bounded) == 1
    np.testing.assert_array_equal(bounded[0][0], [[1, 2], [2, 3], [3, 4], [4, 5]])
    np.testing.assert_array_equal(bounded[0][1], [3, 4, 5, 6])
    assert [len(b[1]) for b in gen] == [2, 1]  # PyDataset iteration
    with pytest.raises(IndexError):
        gen[2]
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(data, data[:5], length=2)
    with pytest.raises(ValueError, match="no window fits"):
        TimeseriesGenerator(data, data, length=10)


def test_timeseries_generator_shuffle_draws_valid_windows():
    np.random.seed(0)
    data = np.arange(30)
    gen = TimeseriesGenerator(data, data, length=4, shuffle=True, batch_size=16)
    x, y = gen[0]
    assert x.shape == (16, 4) and np.all((y >= 4) & (y <= 29))
    np.testing.assert_array_equal(x, y[:, None] + np.arange(-4, 0))


def test_timeseries_generator_feeds_fit_and_evaluate():
    set_random_seed(1)
    series = (np.arange(40, dtype="float32") / 40.0).reshape(40, 1)
    gen = TimeseriesGenerator(series, series, length=3, end_index=34, batch_size=8)
    assert len(gen) == 4  # rows 3..34: four full batches of 8
    model = Sequential([layers.Input(shape=(3, 1)), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(gen, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    x = np.concatenate([gen[i][0] for i in range(len(gen))])
    y = np.concatenate([gen[i][1] for i in range(len(gen))])
    kernel, bias = (np.asarray(w, dtype="float64") for w in model.layers[-1].get_weights())
    manual = np.mean((x.reshape(len(x), 3).astype("float64") @ kernel + bias - y) ** 2)
    np.testing.assert_allclose(model.evaluate(gen, verbose=0), manual, rtol=1e-4)


# ---- images ----------------------------------------------------------------------------------------


def test_img_to_array_layouts_without_pillow():
    gray = np.arange(6, dtype="uint8").reshape(2, 3)
    assert image.img_to_array(gray, data_format="channels_last").shape == (2, 3, 1)
    out = image.img_to_array(np.zeros((2, 3, 4)), data_format="channels_first", dtype="float64")
    assert out.shape == (4, 2, 3) and out.dtype == np.float64
    with pytest.raises(ValueError, match="2 or 3 dimensions"):
        image.img_to_array(np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="data_format"):
        image.img_to_array(gray, data_format="nhwc")


def test_png_round_trip(tmp_path):
    pytest.importorskip("PIL")
    rgb = np.zeros((4, 5, 3), dtype="float32")
    rgb[..., 0] = np.arange(5) * 60  # 0..240
    rgb[1, 2] = [10, 20, 30]
    path = tmp_path / "img.png"
    utils.save_img(path, rgb, scale=False)
    img = utils.load_img(path)
    assert img.size == (5, 4) and img.mode == "RGB"
    arr = utils.img_to_array(img)
    assert arr.shape == (4, 5, 3) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, rgb)
    # scale=True maps [min, max] = [0, 240] onto [0, 255] (uint8 truncation).
    scaled = image.img_to_array(image.array_to_img(rgb, scale=True), dtype="float64")
    np.testing.assert_array_equal(scaled, np.floor(rgb / 240.0 * 255.0))
    gray = utils.load_img(str(path), color_mode="grayscale")
    assert gray.mode == "L" and utils.img_to_array(gray).shape == (4, 5, 1)
    # PIL's L = (299 R + 587 G + 114 B) / 1000, rounded: pixel (1, 2) is 10, 20, 30.
    assert utils.img_to_array(gray)[1, 2, 0] == round((299 * 10 + 587 * 20 + 114 * 30) / 1000)
    small = utils.load_img(path, target_size=(2, 5), color_mode="rgba")
    assert small.size == (5, 2) and small.mode == "RGBA"
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        utils.load_img(path, target_size=(2, 2), interpolation="cubic")


def test_array_to_img_channels_first_and_modes():
    pytest.importorskip("PIL")
    x = np.zeros((1, 2, 3))
    x[0, 1, 2] = 4.0
    img = image.array_to_img(x, data_format="channels_first")
    assert img.mode == "L" and img.size == (3, 2)
    np.testing.assert_array_equal(np.asarray(img), [[0, 0, 0], [0, 0, 255]])
    assert image.array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    assert image.array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    with pytest.raises(ValueError, match="1, 3 or 4"):
        image.array_to_img(np.zeros((2, 2, 2)))


def test_modules_exported():
    assert sequence.pad_sequences is utils.pad_sequences
    assert text.Tokenizer is Tokenizer
    assert utils.array_to_img is image.array_to_img


def test_missing_pillow_gives_install_hint(monkeypatch, tmp_path):
    import sys
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` raise ImportError
    with pytest.raises(ImportError, match="pip install pillow"):
        image.load_img(tmp_path / "missing.png")
    with pytest.raises(ImportError, match="pip install pillow"):
        image.array_to_img(np.zeros((2, 2, 3)))


def test_keep_aspect_ratio_crops_centre_and_jpeg_drops_alpha(tmp_path):
    pytest.importorskip("PIL")
    wide = np.zeros((2, 6, 3), dtype="float32")
    wide[:, 2:4] = 200.0  # a bright 2x2 centre between dark sides
    utils.save_img(tmp_path / "wide.png", wide, scale=False)
    square = utils.load_img(tmp_path / "wide.png", target_size=(2, 2), keep_aspect_ratio=True)
    np.testing.assert_array_equal(utils.img_to_array(square), np.full((2, 2, 3), 200.0))
    rgba = np.full((3, 3, 4), 128.0)
    with pytest.warns(UserWarning, match="alpha"):
        utils.save_img(tmp_path / "x.jpg", rgba, scale=False)
    assert utils.load_img(tmp_path / "x.jpg", color_mode="rgb").size == (3, 3)
