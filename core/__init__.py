"""core: the engine-free model and layer library.

`from core.models import Sequential`, `import core.layers`, ... as with Keras;
`core.backend` is the same module as `kbackend`.
"""

import sys

import kbackend as backend

sys.modules[__name__ + ".backend"] = backend

from . import (activations, callbacks, constraints, datasets, distribution, initializers, layers,  # noqa: E402
               losses, metrics, models, optimizers, preprocessing, regularizers, saving, utils, wrappers)
from .layers import Input  # noqa: E402
from .models import Model, Sequential  # noqa: E402

from .engine import naming as _naming  # noqa: E402
from .engine.k_function import symbolic_function as _symbolic_function  # noqa: E402

backend._symbolic_function = _symbolic_function
backend._clear_session_hooks.append(_naming.reset)
