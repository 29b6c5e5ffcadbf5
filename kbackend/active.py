"""The engine of this process, chosen once at first use (as in Keras)."""

from . import config, registry

_engine = None


def engine():
    """The active engine module, loaded on first call."""
    global _engine
    if _engine is None:
        _engine = registry.load(config.get("backend"))
    return _engine


def backend():
    """The active engine's name, e.g. "numpy" (checked, not yet imported)."""
    name = config.get("backend")
    if _engine is None:
        registry.check(name)
    return name
