"""Names for classes and functions, so configs can say what to rebuild.

Built-in objects are found through the namespace that asks (core.layers,
core.losses, ...). User objects are found through `register_keras_serializable`
(a global registry keyed "package>name") or `custom_object_scope` /
`custom_objects=` (keyed by plain name).
"""

import threading

_REGISTERED = {}       # "package>Name" -> object
_NAMES = {}            # id(object) -> "package>Name"
_local = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Class or function decorator: register under "package>name"."""
    if ">" in package:
        raise ValueError(f"package must not contain '>'; got {package!r}.")

    def decorate(obj):
        key = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a class needs a get_config() method "
                             "so that it can be saved and rebuilt.")
        _REGISTERED[key] = obj
        _NAMES[id(obj)] = key
        return obj
    return decorate


def get_registered_name(obj):
    """The registered "package>name" of obj, or its plain name."""
    return _NAMES.get(id(obj), getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called name: scoped custom objects first, then the call's
    custom_objects, then the registry, then module_objects; None if unknown."""
    for table in (*reversed(_scopes()), custom_objects or {}):
        if name in table:
            return table[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects():
    """The global registry as a mutable dict ("package>name" -> object)."""
    return _REGISTERED


def _scopes():
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


class CustomObjectScope:
    """`with custom_object_scope({"MyLayer": MyLayer}): load_model(...)`."""

    def __init__(self, *tables):
        self.table = {}
        for t in tables:
            if not isinstance(t, dict):
                raise TypeError(f"custom_object_scope takes dicts of name -> object; got {type(t).__name__}.")
            self.table.update(t)

    def __enter__(self):
        _scopes().append(self.table)
        return self

    def __exit__(self, *exc):
        _scopes().pop()


custom_object_scope = CustomObjectScope
