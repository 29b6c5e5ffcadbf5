"""core.losses: loss functions, their class forms, and get/serialize/deserialize."""

from core.saving import registration
from core.saving.serialization import Namespace

from .classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from .loss import Loss, LossFunctionWrapper
from .losses import (
    BCE,
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    bce,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    huber_loss,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .reduction import Reduction, reduce_weighted_values, squeeze_or_expand_to_same_rank

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, Hinge, SquaredHinge, CategoricalHinge, Poisson, LogCosh, KLDivergence,
            Huber, CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, huber, log_cosh, cosine_similarity, hinge, squared_hinge,
              categorical_hinge, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
              kl_divergence, poisson)
_ALIASES = {"mse": mse, "MSE": MSE, "mae": mae, "MAE": MAE, "mape": mape, "MAPE": MAPE, "msle": msle, "MSLE": MSLE,
            "kld": kld, "KLD": KLD, "kullback_leibler_divergence": kullback_leibler_divergence,
            "logcosh": logcosh, "bce": bce, "BCE": BCE, "huber_loss": huber_loss}

ALL_OBJECTS = {**{c.__name__: c for c in _CLASSES}, **{f.__name__: f for f in _FUNCTIONS}, **_ALIASES}

_namespace = Namespace("loss", ALL_OBJECTS)


def serialize(loss):
    """A function's name, or a Loss object's config dict."""
    return _namespace.serialize(loss)


def deserialize(name, custom_objects=None):
    """A loss from a name (a function name gives the function, a class name an
    instance) or a config dict."""
    if isinstance(name, dict) and name.get("class_name") == "function":  # how Keras 3 files record a function
        name = name.get("config")
    if isinstance(name, str) and registration.get_registered_object(name, custom_objects, ALL_OBJECTS) is None:
        raise ValueError(f"Unknown loss: {name!r}. Built-in losses include 'mse', 'mae', 'binary_crossentropy', "
                         "'categorical_crossentropy', 'sparse_categorical_crossentropy', 'huber', 'MeanSquaredError'"
                         " (see core.losses.ALL_OBJECTS). For your own loss, pass the function or object itself, "
                         "or register it with @core.saving.register_keras_serializable().")
    return _namespace.deserialize(name, custom_objects)


def get(identifier):
    """A loss from a name, a config dict, a Loss class or object, or a function."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Pass a name such as 'mse', a config "
                     "dict, a Loss object or a function fn(y_true, y_pred).")
