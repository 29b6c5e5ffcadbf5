"""core.metrics: streaming metrics and per-sample metric functions.

`get` resolves what compile(metrics=...) accepts: a function name gives the
function ("binary_accuracy"), a class name an instance ("AUC"), Keras 2's
short names their function ("mse", "acc"). "acc"/"accuracy" give the
exact-match `accuracy` function, and "ce"/"crossentropy" categorical
crossentropy: a trainer that follows Keras picks the binary / categorical /
sparse variant for those names from the loss before calling `get`.
"""

# Keras 2's short names of the loss functions that double as metrics
from core.losses.losses import (BCE, KLD, MAE, MAPE, MSE, MSLE, bce, kld, kullback_leibler_divergence, logcosh, mae,
                                mape, mse, msle)
from core.saving.serialization import Namespace

from .accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .auc import AUC
from .confusion_metrics import FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives
from .hinge_metrics import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from .metric import Metric
from .metric import snake_case as _snake_case
from .probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from .reduction_metrics import Mean, MeanMetricWrapper, Sum
from .regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    cosine_similarity,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

# Keras 2's aliases of the metric-only functions
acc = ACC = accuracy
cosine_proximity = cosine_similarity

_CLASSES = (Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, AUC, Precision, Recall, TruePositives,
    FalsePositives, TrueNegatives, FalseNegatives, MeanSquaredError, RootMeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity,
    LogCoshError, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
    Poisson, Hinge, SquaredHinge, CategoricalHinge)
_FUNCTIONS = (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, cosine_similarity,
    log_cosh, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
    kl_divergence, poisson, hinge, squared_hinge, categorical_hinge)
_ALIASES = {"acc": accuracy, "ACC": accuracy, "bce": binary_crossentropy, "BCE": binary_crossentropy,
            "ce": categorical_crossentropy, "crossentropy": categorical_crossentropy,
            "mse": mean_squared_error, "MSE": mean_squared_error, "mae": mean_absolute_error,
            "MAE": mean_absolute_error, "mape": mean_absolute_percentage_error,
            "MAPE": mean_absolute_percentage_error, "msle": mean_squared_logarithmic_error,
            "MSLE": mean_squared_logarithmic_error, "kld": kl_divergence, "KLD": kl_divergence,
            "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh, "cosine_proximity": cosine_similarity}

_OBJECTS = {
    # snake_case class names ("auc", "precision") where no function has that name
    **{_snake_case(cls.__name__): cls for cls in _CLASSES},
    **{cls.__name__: cls for cls in _CLASSES},
    **{fn.__name__: fn for fn in _FUNCTIONS},
    **_ALIASES,
}
_namespace = Namespace("metric", _OBJECTS)
get = _namespace.get
serialize = _namespace.serialize
deserialize = _namespace.deserialize
