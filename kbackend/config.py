"""The user's configuration: keras.json, KERAS_BACKEND, and the in-process setters.

The file is read once, at first use, and never written except by an explicit
`python -m kbackend config set KEY VALUE` (see `write_value`).
"""

import json
import os
import tempfile

DEFAULTS = {"backend": "numpy", "floatx": "float32", "epsilon": 1e-07,
            "image_data_format": "channels_last"}
FLOATX_VALUES = ("float16", "bfloat16", "float32", "float64")
DATA_FORMATS = ("channels_last", "channels_first")


class ConfigError(ValueError):
    """A configuration problem, described in one line a person can act on."""


def keras_home():
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def config_path():
    return os.path.join(keras_home(), "keras.json")


def _check(key, value, where):
    """Validate one value; returns it normalized. `where` names its origin."""
    if key == "floatx":
        if value not in FLOATX_VALUES:
            raise ConfigError(f"{where}: floatx must be one of {', '.join(FLOATX_VALUES)}; got {value!r}.")
    elif key == "epsilon":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"{where}: epsilon must be a positive number; got {value!r}.")
        value = float(value)
    elif key == "image_data_format":
        if value not in DATA_FORMATS:
            raise ConfigError(f"{where}: image_data_format must be one of {', '.join(DATA_FORMATS)}; got {value!r}.")
    elif key == "backend":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: backend must be an engine name such as 'numpy'; got {value!r}.")
    return value


def read_file(path):
    """The dict stored in keras.json at path ({} when there is no file)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror}).") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object with keys {', '.join(DEFAULTS)}.")
    return data


class _Config:
    """The values in force, with where each came from."""

    def __init__(self):
        self.values = dict(DEFAULTS)
        self.sources = {k: "default" for k in DEFAULTS}
        path = config_path()
        for key, value in read_file(path).items():
            if key in DEFAULTS:  # unknown keys are ignored, as Keras does
                self.values[key] = _check(key, value, f"{path}: key '{key}'")
                self.sources[key] = path
        env = os.environ.get("KERAS_BACKEND")
        if env:
            self.values["backend"] = _check("backend", env, "KERAS_BACKEND")
            self.sources["backend"] = "KERAS_BACKEND environment variable"


_state = None


def current():
    global _state
    if _state is None:
        _state = _Config()
    return _state


def get(key):
    return current().values[key]


def set_value(key, value):
    """Change a value for this process only (the file is not touched)."""
    cfg = current()
    cfg.values[key] = _check(key, value, key)
    cfg.sources[key] = "set in this process"


def floatx():
    return get("floatx")


def set_floatx(value):
    set_value("floatx", str(value))


def epsilon():
    return get("epsilon")


def set_epsilon(value):
    set_value("epsilon", value)


def image_data_format():
    return get("image_data_format")


def set_image_data_format(value):
    set_value("image_data_format", value)


def normalize_data_format(value):
    """None -> the configured format; otherwise validated."""
    if value is None:
        return image_data_format()
    if value not in DATA_FORMATS:
        raise ValueError(f"data_format must be one of {', '.join(DATA_FORMATS)}; got {value!r}.")
    return value


def write_value(key, value):
    """Store key=value in keras.json (explicit user request only). The write
    goes to a temporary file renamed into place, so a failure leaves the
    previous file intact."""
    if key not in DEFAULTS:
        raise ConfigError(f"Unknown key {key!r}; keras.json keys are {', '.join(DEFAULTS)}.")
    if key == "epsilon":
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"epsilon must be a positive number; got {value!r}.") from None
    path = config_path()
    value = _check(key, value, f"{path}: key '{key}'")
    data = read_file(path) or dict(DEFAULTS)
    data[key] = value
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".keras.json.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=4)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
