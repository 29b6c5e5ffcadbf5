"""core.preprocessing.text: Keras 2's word-level text helpers and Tokenizer (plain Python + numpy)."""

import hashlib
import json
from collections import OrderedDict, defaultdict

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Split `input_text` into words: optionally lower-case it, turn every character of
    `filters` into `split`, split on `split` and drop the empty pieces."""
    if not isinstance(input_text, str):
        raise TypeError(f"text_to_word_sequence needs a str; got {type(input_text).__name__}. "
                        "Pass one text at a time (decode bytes first).")
    if not isinstance(split, str) or not split:
        raise ValueError(f"text_to_word_sequence: split must be a non-empty str; got {split!r}.")
    if lower:
        input_text = input_text.lower()
    if filters:
        input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def _md5_hash(word):
    # A hash that is stable across Python runs (the built-in hash() of str is salted per process).
    return int(hashlib.md5(word.encode("utf-8")).hexdigest(), 16)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Map each word of `text` to an index in [1, n - 1] by hashing (0 stays free for padding).

    `hash_function`: None (Python's hash(): differs between runs unless PYTHONHASHSEED is set),
    "md5" (stable), or any callable str -> int. Different words may share an index.
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    elif not callable(hash_function):
        raise ValueError(f'hashing_trick: hash_function must be None, "md5" or a callable; got {hash_function!r}.')
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise ValueError(f"hashing_trick: n must be an int >= 2 (indices fall in [1, n - 1]); got {n!r}.")
    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [hash_function(word) % (int(n) - 1) + 1 for word in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Keras 2's one_hot: hashing_trick with Python's hash() (a list of word indices in [1, n - 1],
    not a one-hot matrix)."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """Builds a word index from texts and turns texts into index sequences or matrices.

    Indices start at 1 (0 is reserved) and go by falling frequency; words seen equally often
    keep the order in which they were first seen. With `oov_token` that token takes index 1.
    `num_words` keeps only indices below it when converting (word_index itself keeps all words).
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        document_count = kwargs.pop("document_count", 0)
        if "nb_words" in kwargs:  # Keras 1 spelling
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Tokenizer got unknown keyword argument(s): {', '.join(sorted(kwargs))}.")
        if num_words is not None and (not isinstance(num_words, (int, np.integer)) or num_words < 1):
            raise ValueError(f"Tokenizer: num_words must be None or a positive int; got {num_words!r}.")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}

    # ---- fitting ------------------------------------------------------------------------------------

    def _tokens(self, text):
        """The tokens of one text: lists are taken as already split; char_level splits into characters."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return list(text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Count the words of `texts` (a list or generator of strings, or of lists of tokens) and
        rebuild word_index / index_word from all counts so far."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts needs a list of texts; got one str. Wrap it: [text].")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        # sorted() is stable, so ties keep first-seen order (word_counts is ordered).
        ranked = [w for w, _ in sorted(self.word_counts.items(), key=lambda item: -item[1])]
        if self.oov_token is not None:
            ranked = [self.oov_token] + [w for w in ranked if w != self.oov_token]
        self.word_index = {word: i for i, word in enumerate(ranked, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        self.index_docs = defaultdict(int, {self.word_index[w]: c for w, c in self.word_docs.items()})

    def fit_on_sequences(self, sequences):
        """Count in how many sequences each index appears (what tfidf needs when texts were never fitted)."""
        for seq in sequences:
            self.document_count += 1
            for index in set(seq):
                self.index_docs[int(index)] += 1

    # ---- texts <-> sequences ------------------------------------------------------------------------

    def _oov_index(self):
        return None if self.oov_token is None else self.word_index.get(self.oov_token)

    def texts_to_sequences_generator(self, texts):
        """Yield one list of word indices per text; unknown words (and those at or past num_words)
        become the oov index, or are dropped without oov_token."""
        oov = self._oov_index()
        for text in texts:
            seq = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and not (self.num_words and index >= self.num_words):
                    seq.append(index)
                elif oov is not None:
                    seq.append(oov)
            yield seq

    def texts_to_sequences(self, texts):
        """One list of word indices per text (see texts_to_sequences_generator)."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.texts_to_sequences needs a list of texts; got one str. Wrap it: [text].")
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        """Yield one space-joined text per sequence; indices not in index_word are dropped (or become
        the oov token when there is one)."""
        oov = self._oov_index()
        for seq in sequences:
            words = []
            for index in seq:
                index = int(index)
                word = self.index_word.get(index)
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    # ---- matrices -----------------------------------------------------------------------------------

    def texts_to_matrix(self, texts, mode="binary"):
        """A (len(texts), num_words) float64 matrix; see sequences_to_matrix for the modes."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """Row i, column j describes index j in sequence i (indices >= num_words are ignored):
        "binary" 1 if present, "count" occurrences, "freq" occurrences / len(sequence),
        "tfidf" (1 + log(count)) * log(1 + document_count / (1 + docs containing j))."""
        if mode not in MATRIX_MODES:
            raise ValueError(f"Tokenizer.sequences_to_matrix: mode must be one of {', '.join(MATRIX_MODES)}; "
                             f"got {mode!r}.")
        width = self.num_words
        if not width:
            if not self.word_index:
                raise ValueError("Tokenizer: set num_words or call fit_on_texts first; the matrix width is "
                                 "num_words, or len(word_index) + 1 when num_words is None.")
            width = len(self.word_index) + 1
        if mode == "tfidf" and not self.document_count:
            raise ValueError('Tokenizer: mode="tfidf" needs document frequencies; call fit_on_texts or '
                             "fit_on_sequences first.")
        matrix = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts = defaultdict(int)
            for index in seq:
                if int(index) < width:
                    counts[int(index)] += 1
            for index, count in counts.items():
                if mode == "binary":
                    matrix[row, index] = 1.0
                elif mode == "count":
                    matrix[row, index] = count
                elif mode == "freq":
                    matrix[row, index] = count / len(seq)
                else:
                    idf = np.log(1.0 + self.document_count / (1.0 + self.index_docs.get(index, 0)))
                    matrix[row, index] = (1.0 + np.log(count)) * idf
        return matrix

    # ---- serialization ------------------------------------------------------------------------------

    def get_config(self):
        """Everything needed to rebuild this tokenizer; the dictionaries are stored as JSON strings."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """A JSON string (kwargs go to json.dumps) that tokenizer_from_json turns back into a Tokenizer."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """Rebuild a Tokenizer from the output of Tokenizer.to_json()."""
    try:
        data = json.loads(json_string)
        config = dict(data["config"])
    except (TypeError, ValueError, KeyError) as err:
        raise ValueError("tokenizer_from_json needs the string returned by Tokenizer.to_json(); "
                         f"could not read it ({err}).") from None
    # JSON object keys are strings: the index-keyed dictionaries get their int keys back.
    tables = {name: json.loads(config.pop(name, "{}"))
              for name in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(tables["word_counts"])
    tokenizer.word_docs = defaultdict(int, tables["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in tables["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = dict(tables["word_index"])
    return tokenizer
