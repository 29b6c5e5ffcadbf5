"""core.initializers: initial values for weights, computed on the host so that
a seed gives the same model on every engine."""

from ..saving.serialization import Namespace
from .constant_initializers import Constant, Identity, Ones, Zeros
from .initializer import Initializer
from .random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

# snake_case spellings (Keras 2 and 3)
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
# older Keras 2 names
zero = Zeros
one = Ones
normal = RandomNormal
uniform = RandomUniform
# Keras 3 also exports these class names
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal

_CLASSES = (Initializer, Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)
_OBJECTS = {cls.__name__: cls for cls in _CLASSES}
_OBJECTS.update(zeros=Zeros, ones=Ones, constant=Constant, identity=Identity, random_normal=RandomNormal,
                random_uniform=RandomUniform, truncated_normal=TruncatedNormal, variance_scaling=VarianceScaling,
                glorot_uniform=GlorotUniform, glorot_normal=GlorotNormal, he_uniform=HeUniform, he_normal=HeNormal,
                lecun_uniform=LecunUniform, lecun_normal=LecunNormal, orthogonal=Orthogonal, zero=Zeros, one=Ones,
                normal=RandomNormal, uniform=RandomUniform, IdentityInitializer=Identity,
                OrthogonalInitializer=Orthogonal)

_namespace = Namespace("initializer", _OBJECTS)
serialize = _namespace.serialize
deserialize = _namespace.deserialize


def get(identifier):
    """An initializer from a name, a config dict, a class, an instance or a
    function `fn(shape, dtype=None)` (returned as is)."""
    if isinstance(identifier, type):
        return identifier()
    return _namespace.get(identifier)
