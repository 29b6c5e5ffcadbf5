"""Engine discovery: built-ins plus third-party engines declared as entry points."""

import os
import subprocess
import sys
import textwrap

import kbackend as K
from kbackend import protocol


def make_distribution(root, module_source, name="tiny"):
    """A minimal installed distribution (dist-info + module) declaring engine `name`."""
    (root / "tiny_engine.py").write_text(textwrap.dedent(module_source))
    info = root / "tiny_engine-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-engine\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[kbackend.engines]\n{name} = tiny_engine\n")


def run(code, root, backend):
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               KERAS_BACKEND=backend, KERAS_HOME=str(root / "home"))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


TINY = """
    # A third-party engine: numpy's ops, with its own add to prove it is the one in use.
    import numpy as np
    from kbackend_numpy import *  # noqa: F401,F403
    from kbackend_numpy import math as _math

    def add(x, y):
        return _math.add(x, y) + 0  # same numbers, but defined here
"""


def test_third_party_engine_is_found_and_selected_by_name(tmp_path):
    make_distribution(tmp_path, TINY)
    code = ("import kbackend as K; from kbackend import registry;"
            "print(K.backend(), K.add.__module__, K.convert_to_numpy(K.add([1.0, 2.0], 3.0)).tolist(),"
            "'tiny' in registry.installed())")
    out = run(code, tmp_path, "tiny")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["tiny", "tiny_engine", "[4.0,", "5.0]", "True"]


def test_third_party_engine_missing_ops_is_refused_with_their_names(tmp_path):
    make_distribution(tmp_path, "def add(x, y):\n    return x + y\n")
    out = run("import kbackend as K; K.add(1, 2)", tmp_path, "tiny")
    assert out.returncode != 0
    assert "lacks protocol ops" in out.stderr and "conv2d" in out.stderr
    assert "Traceback" not in out.stderr


def test_active_engine_implements_every_protocol_op_with_its_signature():
    engine = K.engine()
    for name in protocol.OPS:
        fn = getattr(engine, name)
        assert getattr(K, name) is fn
        expected = list(protocol.signature(name).parameters)
        import inspect
        actual = list(inspect.signature(fn).parameters)
        assert actual == expected, f"{name}: {actual} != {expected}"
        assert fn.__doc__, name


def test_engines_have_the_same_module_layout():
    import importlib
    for package in ("kbackend_numpy", "kbackend_jax", "kbackend_torch", "kbackend_tf"):
        root = os.path.dirname(importlib.util.find_spec(package).origin)
        modules = {f[:-3] for f in os.listdir(root) if f.endswith(".py") and not f.startswith("_")}
        assert set(protocol.GROUPS.values()) <= modules, package


def test_numpy_engine_needs_nothing_but_numpy(tmp_path):
    """The base install (numpy alone) imports, computes and differentiates."""
    code = textwrap.dedent("""
        import sys, math
        for name in ("ml_dtypes", "scipy", "jax", "torch", "tensorflow", "h5py"):
            sys.modules[name] = None  # any import of these now fails
        import numpy as np
        import kbackend as K
        x = np.linspace(-2, 2, 5)
        erf = K.convert_to_numpy(K.erf(x))
        assert np.abs(erf - [math.erf(v) for v in x]).max() < 1e-7, erf
        (value, grads) = K.value_and_grad(lambda w: K.sum(K.tanh(w) ** 2))(np.array([0.5, -1.0]))
        w = np.array([0.5, -1.0])
        assert np.allclose(grads, 2 * np.tanh(w) * (1 - np.tanh(w) ** 2)), grads
        try:
            K.zeros((2,), dtype="bfloat16")
        except ValueError as e:
            assert "ml_dtypes" in str(e)
        else:
            raise AssertionError("bfloat16 without ml_dtypes should say what to install")
        print("ok", K.backend())
    """)
    env = dict(os.environ, KERAS_BACKEND="numpy", KERAS_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "numpy"]
