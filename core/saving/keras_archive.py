"""The `.keras` file: a zip holding config.json (the model, see model_config),
metadata.json ({"keras_version", "date_saved"}) and model.weights.h5 (see
weights_h5), in the layout Keras 3 writes, so files move both ways.

Reading checks every entry name first (no absolute paths, no `..`) and refuses
entries whose declared size is absurd (zip bombs); only the three known entries
are read, into memory, and nothing in them is executed (see safe_mode)."""

import datetime
import io
import json
import os
import zipfile

import h5py

from . import atomic, model_config, weights_h5
from .keras_modules import to_keras_modules

KERAS_VERSION = "3.15.0"  # the Keras 3 file format this writer follows
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
MAX_ENTRY_BYTES = 1 << 36          # 64 GiB: larger than any model we could hold
MAX_RATIO, RATIO_FLOOR = 1000, 1 << 28  # a big entry compressed > 1000x is a bomb, not weights


def save_keras(model, filepath):
    config = to_keras_modules(model_config.model_to_config(model))
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        weights_h5.write_weights(model, h5)
    with atomic.atomic_path(filepath) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        z.writestr(METADATA, json.dumps(metadata))
        z.writestr(CONFIG, json.dumps(config))
        z.writestr(WEIGHTS, weights.getvalue())


def read_entries(filepath):
    """{name: bytes} of the known entries of a .keras file, after the safety checks."""
    try:
        z = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile:
        raise ValueError(f"'{filepath}' is not a valid .keras file (not a zip archive). Was it written completely? "
                         "A .keras file is a zip of config.json, metadata.json and model.weights.h5.") from None
    with z:
        infos = z.infolist()
        for info in infos:
            check_entry(info, filepath)
        names = {info.filename for info in infos}
        if CONFIG not in names:
            raise ValueError(f"'{filepath}' has no {CONFIG}: it is not a .keras model file (entries: "
                             f"{sorted(names)[:10]}).")
        return {name: z.read(name) for name in (CONFIG, METADATA, WEIGHTS) if name in names}


def check_entry(info, filepath):
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise ValueError(f"Refusing to read '{filepath}': the zip entry '{info.filename}' points outside the "
                         "archive (an absolute path or '..'). The file is damaged or malicious.")
    if info.file_size > MAX_ENTRY_BYTES or (
            info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
        raise ValueError(f"Refusing to read '{filepath}': the zip entry '{info.filename}' declares "
                         f"{info.file_size} bytes uncompressed from {info.compress_size} compressed bytes, which is "
                         "not a plausible model file (a zip bomb?).")


def _holds_layer_weights(h5):
    found = []
    h5.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset)
                  and not name.startswith("optimizer/") else None)
    return bool(found)


def load_keras(filepath, custom_objects=None, compile=True, safe_mode=True):
    from ..layers.core.lambda_layer import SafeModeScope
    entries = read_entries(filepath)
    try:
        config = json.loads(entries[CONFIG])
    except ValueError as e:
        raise ValueError(f"'{filepath}': {CONFIG} is not valid JSON ({e}).") from None
    with SafeModeScope(safe_mode):
        model = model_config.model_from_config(config, custom_objects, compile)
    if WEIGHTS in entries:
        with h5py.File(io.BytesIO(entries[WEIGHTS]), "r") as h5:
            if not model.weights and _holds_layer_weights(h5):
                raise ValueError(f"'{filepath}': model '{model.name}' ({type(model).__name__}) was rebuilt from its "
                                 "config but has not created its weights (the config's build_config gives no input "
                                 "shape), so the saved weights have nowhere to go. Rebuild the model in code, call "
                                 "model.build(input_shape), then model.load_weights(path).")
            weights_h5.read_weights(model, h5, source=f"'{os.fspath(filepath)}'")
    return model
