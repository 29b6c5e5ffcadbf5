"""Learning rate schedules: functions of the optimizer's step, and their
serialize / deserialize."""

from core.saving.serialization import Namespace

from .cosine_decay import CosineDecay
from .cosine_decay_restarts import CosineDecayRestarts
from .exponential_decay import ExponentialDecay
from .inverse_time_decay import InverseTimeDecay
from .learning_rate_schedule import LearningRateSchedule
from .piecewise_constant_decay import PiecewiseConstantDecay
from .polynomial_decay import PolynomialDecay

_namespace = Namespace("learning rate schedule", {cls.__name__: cls for cls in (
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
    CosineDecay, CosineDecayRestarts)})


def serialize(learning_rate_schedule):
    return _namespace.serialize(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    return _namespace.deserialize(config, custom_objects)
