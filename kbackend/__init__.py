"""kbackend: the configuration, the backend protocol and the K functions.

`import kbackend as K` gives the protocol ops of the active engine (`K.dot`,
`K.conv2d`, `K.gradients`, ...; see kbackend.protocol), resolved on first use,
plus the engine-independent functions defined here.
"""

from . import allocator, config, dtypes, protocol
from .active import backend, engine
from .config import (ConfigError, epsilon, floatx, image_data_format, set_epsilon,
                     set_floatx, set_image_data_format)
from .scope import StatelessScope
from .seed import SeedGenerator
from .variable import Variable

__version__ = "0.1.0"

allocator.keep_freed_memory()  # before an engine allocates anything


def variable(value, dtype=None, name=None, constraint=None):
    """A Variable holding value; dtype defaults to floatx (as Keras 2's K.variable)."""
    return Variable(value, dtype=dtype or floatx(), name=name, constraint=constraint)


def is_variable(x):
    return isinstance(x, Variable)


def eval(x):
    """The value of a tensor or Variable as a numpy array."""
    if isinstance(x, Variable):
        return x.numpy()
    return engine().convert_to_numpy(x)


def get_value(x):
    return eval(x)


def batch_get_value(xs):
    return [eval(x) for x in xs]


def set_value(x, value):
    if not isinstance(x, Variable):
        raise TypeError(f"set_value needs a Variable; got {type(x).__name__}.")
    x.assign(value)


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def count_params(x):
    """The number of scalars in a tensor or Variable."""
    n = 1
    for d in (x.shape if isinstance(x, Variable) else engine().int_shape(x)):
        n *= d
    return n


# core installs the builder of K.function: symbolic tensors only exist there
_symbolic_function = None


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable from symbolic model tensors (core.Input and layer outputs):
    f(list of arrays) -> list of numpy arrays (one per output)."""
    if _symbolic_function is None:
        raise TypeError("K.function takes symbolic tensors from core (core.Input and layer calls on them); "
                        "import core first.")
    return _symbolic_function(inputs, outputs, updates=updates, name=name, **kwargs)


def clear_session():
    """Forget global state: the default random generator, and (through hooks
    core registers) the layer-name counters."""
    from . import seed
    seed._global = None
    for hook in _clear_session_hooks:
        hook()


_clear_session_hooks = []  # core resets its layer-name counters here


def _one_line_config_errors(previous):
    """Uncaught ConfigErrors print their one line, not a traceback."""
    def hook(kind, value, tb):
        if issubclass(kind, ConfigError):
            print(f"kbackend: {value}", file=__import__("sys").stderr)
        else:
            previous(kind, value, tb)
    return hook


def _install_hook():
    import sys
    if not getattr(sys.excepthook, "_kbackend", False):
        sys.excepthook = _one_line_config_errors(sys.excepthook)
        sys.excepthook._kbackend = True


_install_hook()


def __getattr__(name):
    if name in protocol.OPS:
        fn = getattr(engine(), name)
        globals()[name] = fn  # later lookups skip this hook
        return fn
    raise AttributeError(f"module 'kbackend' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(protocol.OPS))
