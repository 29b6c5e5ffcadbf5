"""keras.json, KERAS_BACKEND and the one-line configuration errors.

The config is read once per process, so each case runs a fresh interpreter
with its own KERAS_HOME.
"""

import json
import os
import subprocess
import sys

import pytest

import kbackend as K
from kbackend import config, registry

ENGINE = K.backend()


def run(code, home, backend=None, args=None):
    env = dict(os.environ, KERAS_HOME=str(home))
    env.pop("KERAS_BACKEND", None)
    if backend:
        env["KERAS_BACKEND"] = backend
    cmd = [sys.executable] + (args or ["-c", code])
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


SHOW = "import kbackend as K; print(K.backend(), K.floatx(), K.epsilon(), K.image_data_format())"


def write(home, data):
    home.mkdir(exist_ok=True)
    (home / "keras.json").write_text(data if isinstance(data, str) else json.dumps(data))


def test_defaults_without_a_file_and_nothing_written(tmp_path):
    out = run(SHOW + "; K.constant(1.0)", tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["numpy", "float32", "1e-07", "channels_last"]
    assert not (tmp_path / "home").exists()


def test_file_values_are_read_and_unknown_keys_ignored(tmp_path):
    home = tmp_path / "home"
    write(home, {"backend": ENGINE, "floatx": "float64", "epsilon": 1e-5,
                 "image_data_format": "channels_first", "something_else": 3})
    out = run(SHOW + "; print(K.dtype(K.constant(1.0)))", home)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [ENGINE, "float64", "1e-05", "channels_first", "float64"]


def test_environment_overrides_the_file(tmp_path):
    home = tmp_path / "home"
    write(home, {"backend": "does-not-exist"})
    out = run(SHOW, home, backend=ENGINE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == ENGINE


def one_line_error(out):
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


def test_malformed_json_names_path_line_and_column(tmp_path):
    home = tmp_path / "home"
    write(home, '{\n  "backend": "numpy",\n  "floatx": float32\n}')
    line = one_line_error(run(SHOW, home))
    assert str(home / "keras.json") in line
    assert "line 3, column 13" in line


@pytest.mark.parametrize("key,value,allowed", [
    ("floatx", "float128", "float16, bfloat16, float32, float64"),
    ("image_data_format", "channels_middle", "channels_last, channels_first"),
    ("epsilon", -1, "positive number"),
])
def test_bad_values_list_what_is_allowed(tmp_path, key, value, allowed):
    home = tmp_path / "home"
    write(home, {key: value})
    line = one_line_error(run(SHOW, home))
    assert key in line and allowed in line and str(value) in line


def test_unknown_engine_lists_installed_engines_and_the_extra(tmp_path):
    line = one_line_error(run(SHOW, tmp_path, backend="mxnet"))
    assert "'mxnet'" in line
    assert "Installed engines: " + ", ".join(registry.installed()) in line
    assert 'pip install "kcore[' in line


def test_engine_not_installed_says_which_extra(monkeypatch):
    monkeypatch.setattr(registry, "_framework_installed", lambda module: module == "numpy")
    with pytest.raises(config.ConfigError) as err:
        registry.load("torch")
    message = str(err.value)
    assert "needs torch, which is not installed" in message
    assert 'pip install "kcore[torch]"' in message
    assert "\n" not in message


def test_cli_prints_config_sources_and_engines(tmp_path):
    home = tmp_path / "home"
    write(home, {"floatx": "float64"})
    out = run(None, home, backend=ENGINE, args=["-m", "kbackend"])
    assert out.returncode == 0, out.stderr
    assert f"config file: {home / 'keras.json'}" in out.stdout
    assert "floatx             float64" in out.stdout and str(home / "keras.json") in out.stdout
    assert "KERAS_BACKEND environment variable" in out.stdout
    for name in registry.installed():
        assert f"  {name} " in out.stdout


def test_cli_config_set_writes_only_on_request(tmp_path):
    home = tmp_path / "home"
    out = run(None, home, args=["-m", "kbackend", "config", "set", "backend", ENGINE])
    assert out.returncode == 0, out.stderr
    data = json.loads((home / "keras.json").read_text())
    assert data == {"backend": ENGINE, "floatx": "float32", "epsilon": 1e-07,
                    "image_data_format": "channels_last"}
    out = run(None, home, args=["-m", "kbackend", "config", "set", "epsilon", "1e-4"])
    assert out.returncode == 0, out.stderr
    assert json.loads((home / "keras.json").read_text())["epsilon"] == 1e-4
    # refused values leave the file as it was
    before = (home / "keras.json").read_text()
    for key, value in [("floatx", "float128"), ("backend", "mxnet")]:
        one_line_error(run(None, home, args=["-m", "kbackend", "config", "set", key, value]))
    assert (home / "keras.json").read_text() == before


def test_setters_change_this_process_only(tmp_path):
    code = ("import kbackend as K; K.set_floatx('float16'); K.set_epsilon(1e-3);"
            "K.set_image_data_format('channels_first');"
            "print(K.floatx(), K.epsilon(), K.image_data_format(), K.dtype(K.zeros((2,))))")
    out = run(code, tmp_path / "home", backend=ENGINE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["float16", "0.001", "channels_first", "float16"]
    assert not (tmp_path / "home").exists()
    with pytest.raises(ValueError, match="float16, bfloat16, float32, float64"):
        K.set_floatx("float8")
