"""core.wrappers: adapters that let core models take part in other libraries' APIs.

`scikit_learn` is imported on first use, so `import core` does not pull in scikit-learn.
"""

import importlib


def __getattr__(name):
    if name == "scikit_learn":
        return importlib.import_module(f"{__name__}.scikit_learn")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
