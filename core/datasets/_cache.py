"""Where get_file would keep a dataset file, so loaders can look before downloading."""

import os

from ..utils.file_utils import keras_home

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def cache_path(fname, cache_subdir="datasets"):
    """The path get_file(fname, cache_subdir=...) uses (absolute fnames stay as they are)."""
    return os.path.join(keras_home(), cache_subdir, os.fspath(fname))
