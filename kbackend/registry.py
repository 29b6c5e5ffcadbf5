"""Finding engines by name: the four built in, plus entry points in group
`kbackend.engines` (name = importable module) from any installed distribution."""

import importlib
import importlib.metadata
import importlib.util

from . import gc_freeze, protocol
from .config import ConfigError

ENTRY_POINT_GROUP = "kbackend.engines"
DISTRIBUTION = "kcore"

# engine name -> (engine module, framework module it needs, pip extra)
BUILTIN = {
    "numpy": ("kbackend_numpy", "numpy", None),
    "jax": ("kbackend_jax", "jax", "jax"),
    "torch": ("kbackend_torch", "torch", "torch"),
    "tensorflow": ("kbackend_tf", "tensorflow", "tensorflow"),
}


def _third_party():
    """{name: module} declared through entry points."""
    found = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value.split(":")[0])
    return found


def _framework_installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def known():
    """{name: engine module} for every engine this process could know about."""
    names = {name: spec[0] for name, spec in BUILTIN.items()}
    for name, module in _third_party().items():
        names.setdefault(name, module)
    return names


def installed():
    """Names of engines whose framework is importable, built-ins first."""
    names = [n for n, (_, fw, _) in BUILTIN.items() if _framework_installed(fw)]
    names += [n for n in _third_party() if n not in BUILTIN]
    return names


def framework_version(name):
    """The installed version of the engine's framework, or None."""
    if name in BUILTIN:
        dist = {"tensorflow": None, "numpy": "numpy", "jax": "jax", "torch": "torch"}[name]
        candidates = [dist] if dist else ["tensorflow", "tensorflow-cpu", "tensorflow-gpu"]
    else:
        candidates = []
    for dist in candidates:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _extra_hint():
    return (f'add a built-in one with pip install "{DISTRIBUTION}[jax]" (extras: jax, torch, tensorflow, all), '
            f'or install a package declaring the entry point group {ENTRY_POINT_GROUP}')


def check(name):
    """Raise the one-line ConfigError if engine `name` is unknown or its
    framework is missing; returns the engine's module name."""
    modules = known()
    if name not in modules:
        raise ConfigError(
            f"Unknown engine {name!r}. Installed engines: {', '.join(installed())}; "
            f"{_extra_hint()}.")
    if name in BUILTIN:
        _, framework, extra = BUILTIN[name]
        if not _framework_installed(framework):
            raise ConfigError(
                f"Engine {name!r} needs {framework}, which is not installed: "
                f'pip install "{DISTRIBUTION}[{extra}]". Installed engines: {", ".join(installed())}.')
    return modules[name]


def load(name):
    """Import engine `name` and check it implements the whole protocol."""
    module = importlib.import_module(check(name))
    gc_freeze.after_engine_import(name)
    missing = [op for op in protocol.OPS if not callable(getattr(module, op, None))]
    if missing:
        raise ConfigError(f"Engine {name!r} ({module.__name__}) lacks protocol ops: {', '.join(missing)}.")
    for op, spec in protocol.OPS.items():
        fn = getattr(module, op)
        if not getattr(fn, "__doc__", None):
            try:
                fn.__doc__ = spec.__doc__
            except (AttributeError, TypeError):
                pass
    return module
