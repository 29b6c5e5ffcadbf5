"""save_model / load_model / save_weights / load_weights: pick the format
from the path (and, when loading, from the file's content)."""

import os
import zipfile

import h5py

from . import atomic, keras_archive, legacy_h5, weights_h5

_H5 = (".h5", ".hdf5")


def _format_for(filepath, save_format):
    if save_format is not None:
        fmt = {"keras": "keras", "keras_v3": "keras", "h5": "h5", "hdf5": "h5"}.get(str(save_format).lower())
        if fmt is None:
            raise ValueError(f"save_format={save_format!r} is not supported: use 'keras' (a .keras file) or 'h5' "
                             "(Keras 2's HDF5). TensorFlow's SavedModel ('tf') is not a format of this library.")
        return fmt
    path = filepath.lower()
    if path.endswith(".weights.h5"):
        raise ValueError(f"'{filepath}' names a weights file; save the whole model to a '.keras' (or '.h5') path, "
                         "or call model.save_weights() to save the weights only.")
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(_H5):
        return "h5"
    raise ValueError(f"Cannot tell the format from the path '{filepath}': end it with '.keras' (Keras 3's format, "
                     "recommended) or '.h5' (Keras 2's HDF5), or pass save_format='keras' / 'h5'.")


def save_model(model, filepath, overwrite=True, save_format=None, include_optimizer=True, **kwargs):
    unknown = set(kwargs) - {"signatures", "options", "save_traces", "zipped"}
    if unknown:
        raise TypeError(f"save_model() got unexpected keyword argument(s) {sorted(unknown)}.")
    filepath = os.fspath(filepath)
    fmt = _format_for(filepath, save_format)
    atomic.check_overwrite(filepath, overwrite)
    if fmt == "keras":
        keras_archive.save_keras(model, filepath)
        return
    with atomic.atomic_path(filepath) as tmp, h5py.File(tmp, "w") as h5:
        legacy_h5.save_h5_model(model, h5, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        raise ValueError(f"'{filepath}' is a folder: TensorFlow SavedModel folders cannot be loaded here. Load a "
                         "'.keras' or '.h5' file.")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No model file at '{filepath}'.")
    if zipfile.is_zipfile(filepath):
        return keras_archive.load_keras(filepath, custom_objects, compile, safe_mode)
    if h5py.is_hdf5(filepath):
        with h5py.File(filepath, "r") as h5:
            if not legacy_h5.is_legacy(h5):
                raise ValueError(f"'{filepath}' holds weights only (Keras 3 '.weights.h5' layout): build the model "
                                 "in code and call model.load_weights() on it.")
            return legacy_h5.load_h5_model(h5, custom_objects, compile, safe_mode, source=f"'{filepath}'")
    raise ValueError(f"'{filepath}' is neither a .keras (zip) nor an HDF5 file, so it cannot be loaded as a model. "
                     "Was it written completely?")


def save_weights(model, filepath, overwrite=True):
    """`.h5`/`.hdf5` (but not `.weights.h5`) get Keras 2's layout; any other
    name gets Keras 3's `.weights.h5` layout (the recommended suffix)."""
    filepath = os.fspath(filepath)
    atomic.check_overwrite(filepath, overwrite)
    _require_built(model, "save_weights")
    legacy = filepath.lower().endswith(_H5) and not filepath.lower().endswith(".weights.h5")
    with atomic.atomic_path(filepath) as tmp, h5py.File(tmp, "w") as h5:
        if legacy:
            legacy_h5.write_layer_weights(model, h5)
        else:
            weights_h5.write_weights(model, h5)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No weights file at '{filepath}'.")
    _require_built(model, "load_weights")
    source = f"'{filepath}'"
    if zipfile.is_zipfile(filepath):
        _no_by_name(by_name, filepath)
        entries = keras_archive.read_entries(filepath)
        if keras_archive.WEIGHTS not in entries:
            raise ValueError(f"{source} has no {keras_archive.WEIGHTS}: there are no weights to load.")
        import io
        with h5py.File(io.BytesIO(entries[keras_archive.WEIGHTS]), "r") as h5:
            weights_h5.read_weights(model, h5, skip_mismatch, source)
        return
    if not h5py.is_hdf5(filepath):
        raise ValueError(f"{source} is not an HDF5 weights file (nor a .keras file). Was it written completely?")
    with h5py.File(filepath, "r") as h5:
        if legacy_h5.is_legacy(h5):
            group = h5["model_weights"] if "model_weights" in h5 else h5
            legacy_h5.load_layer_weights(model, group, by_name, skip_mismatch, source)
        else:
            _no_by_name(by_name, filepath)
            weights_h5.read_weights(model, h5, skip_mismatch, source)


def _no_by_name(by_name, filepath):
    if by_name:
        raise ValueError(f"by_name=True works with Keras 2 '.h5' weight files only; '{filepath}' is in Keras 3's "
                         "layout, which matches weights by the path of each layer in the model. Load without "
                         "by_name (skip_mismatch=True skips layers whose shapes differ).")


def _require_built(model, what):
    if not model.built or not model.weights and not getattr(model, "layers", None):
        raise ValueError(f"Model '{model.name}' has not created its weights yet, so {what} has nothing to work on. "
                         "Build it first: call it on data, call model.build(input_shape), or give it an Input.")
