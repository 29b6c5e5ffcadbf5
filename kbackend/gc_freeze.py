"""Keep an engine's import-time objects out of Python's full garbage collections.

Importing TensorFlow, JAX or PyTorch leaves a few million Python objects
(modules, functions, op registries) that live as long as the process. A
full (generation 2) collection walks every one of them: on TensorFlow that is
200-300 ms, and tracing a train step allocates enough to trigger one, in the
middle of the first step. Freezing moves the objects alive right after the
engine's import into the permanent generation, which collections skip; later
objects are collected as usual.

Set KBACKEND_GC_FREEZE=0 to leave the collector as it is.
"""

import gc
import os

_engines_seen = set()


def after_engine_import(name):
    """Freeze the objects alive now, the first time engine `name` is loaded
    (later loads would freeze the user's objects too); True when it froze them."""
    if name in _engines_seen or os.environ.get("KBACKEND_GC_FREEZE", "1") == "0":
        return False
    _engines_seen.add(name)
    gc.freeze()
    return True
