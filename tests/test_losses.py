"""core.losses on the active engine: every loss function against a float64 numpy
formula, the Loss classes' reductions and sample weights, the names, and a
couple of gradients against finite differences."""

import numpy as np
import pytest

import kbackend as K
from core import losses
from core.saving import custom_object_scope
from kbackend.conformance.references import central_difference

EPS = 1e-7
RNG = np.random.default_rng(7)
N, C = 5, 4


def npv(x):
    return np.asarray(K.convert_to_numpy(x))


def _probs(shape):
    p = RNG.uniform(0.05, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C)[LABELS]
PROBS = _probs((N, C))
LOGITS = RNG.standard_normal((N, C)) * 2
BINARY = RNG.integers(0, 2, (N, C)).astype(np.float64)
REAL_T = RNG.standard_normal((N, C))
REAL_P = RNG.standard_normal((N, C)) * 1.5
POS_T = RNG.uniform(0.1, 3.0, (N, C))
POS_P = RNG.uniform(0.1, 3.0, (N, C))


# -- float64 numpy references ---------------------------------------------------

def ref_mse(t, p):
    return ((t - p) ** 2).mean(-1)


def ref_mae(t, p):
    return np.abs(t - p).mean(-1)


def ref_mape(t, p):
    return 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)


def ref_msle(t, p):
    return ((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2).mean(-1)


def ref_hinge(t, p):
    s = 2 * t - 1 if np.isin(t, (0, 1)).all() else t
    return np.maximum(1 - s * p, 0).mean(-1)


def ref_squared_hinge(t, p):
    s = 2 * t - 1 if np.isin(t, (0, 1)).all() else t
    return (np.maximum(1 - s * p, 0) ** 2).mean(-1)


def ref_categorical_hinge(t, p):
    return np.maximum((p * (1 - t)).max(-1) - (p * t).sum(-1) + 1, 0)


def _bce_terms(t, p, from_logits):
    if from_logits:  # log sigmoid(z) = -log(1 + e^-z), log(1 - sigmoid(z)) = -log(1 + e^z)
        return t * np.logaddexp(0, -p) + (1 - t) * np.logaddexp(0, p)
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def ref_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    return _bce_terms(t, p, from_logits).mean(axis)


def _log_probs(p, from_logits, axis):
    if from_logits:
        return p - np.log(np.exp(p).sum(axis, keepdims=True))
    return np.log(np.clip(p / p.sum(axis, keepdims=True), EPS, 1 - EPS))


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    return -(t * _log_probs(p, from_logits, axis)).sum(axis)


def ref_sparse_cce(labels, p, from_logits=False):
    labels = labels.reshape(p.shape[:-1]).astype(int)
    return -np.take_along_axis(_log_probs(p, from_logits, -1), labels[..., None], -1)[..., 0]


def ref_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1)


def ref_poisson(t, p):
    return (p - t * np.log(p + EPS)).mean(-1)


def ref_cosine(t, p, axis=-1):
    tn = t / np.linalg.norm(t, axis=axis, keepdims=True)
    pn = p / np.linalg.norm(p, axis=axis, keepdims=True)
    return -(tn * pn).sum(axis)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2).mean(-1)


def ref_log_cosh(t, p):
    return np.log(np.cosh(p - t)).mean(-1)


# -- the functions --------------------------------------------------------------

FUNCTION_CASES = [
    ("mean_squared_error", REAL_T, REAL_P, {}, ref_mse),
    ("mean_absolute_error", REAL_T, REAL_P, {}, ref_mae),
    ("mean_absolute_percentage_error", REAL_T, REAL_P, {}, ref_mape),
    ("mean_squared_logarithmic_error", POS_T, POS_P, {}, ref_msle),
    ("mean_squared_logarithmic_error", REAL_T, REAL_P, {}, ref_msle),  # negatives floored at epsilon
    ("hinge", BINARY, REAL_P, {}, ref_hinge),
    ("hinge", 2 * BINARY - 1, REAL_P, {}, ref_hinge),
    ("squared_hinge", BINARY, REAL_P, {}, ref_squared_hinge),
    ("squared_hinge", 2 * BINARY - 1, REAL_P, {}, ref_squared_hinge),
    ("categorical_hinge", ONE_HOT, REAL_P, {}, ref_categorical_hinge),
    ("binary_crossentropy", BINARY, PROBS, {}, ref_bce),
    ("binary_crossentropy", BINARY, LOGITS, {"from_logits": True}, ref_bce),
    ("binary_crossentropy", BINARY, PROBS, {"label_smoothing": 0.2}, ref_bce),
    ("binary_crossentropy", BINARY, LOGITS, {"from_logits": True, "label_smoothing": 0.1}, ref_bce),
    ("categorical_crossentropy", ONE_HOT, PROBS, {}, ref_cce),
    ("categorical_crossentropy", ONE_HOT, PROBS * 3.0, {}, ref_cce),  # rescaled to sum to 1
    ("categorical_crossentropy", ONE_HOT, LOGITS, {"from_logits": True}, ref_cce),
    ("categorical_crossentropy", ONE_HOT, PROBS, {"label_smoothing": 0.1}, ref_cce),
    ("categorical_crossentropy", ONE_HOT, LOGITS, {"from_logits": True, "label_smoothing": 0.3}, ref_cce),
    ("kl_divergence", _probs((N, C)), PROBS, {}, ref_kld),
    ("poisson", POS_T, POS_P, {}, ref_poisson),
    ("cosine_similarity", REAL_T, REAL_P, {}, ref_cosine),
    ("cosine_similarity", REAL_T, REAL_P, {"axis": 0}, ref_cosine),
    ("huber", REAL_T, REAL_P, {}, ref_huber),
    ("huber", REAL_T, REAL_P, {"delta": 0.5}, ref_huber),
    ("log_cosh", REAL_T, REAL_P, {}, ref_log_cosh),
]


@pytest.mark.parametrize("name,y_true,y_pred,kwargs,ref", FUNCTION_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(FUNCTION_CASES)])
def test_loss_function_matches_numpy(name, y_true, y_pred, kwargs, ref):
    out = getattr(losses, name)(y_true, y_pred, **kwargs)
    assert K.dtype(out) == "float64"
    np.testing.assert_allclose(npv(out), ref(y_true, y_pred, **kwargs), rtol=1e-6, atol=1e-12)


def test_crossentropy_along_another_axis():
    t = np.eye(C)[RNG.integers(0, C, (N, 3))].transpose(0, 2, 1)  # classes on axis 1
    p = _probs((N, 3, C)).transpose(0, 2, 1)
    for kwargs in ({}, {"label_smoothing": 0.2}):
        out = losses.categorical_crossentropy(t, p, axis=1, **kwargs)
        np.testing.assert_allclose(npv(out), ref_cce(t, p, axis=1, **kwargs), rtol=1e-6)
    b = RNG.integers(0, 2, (N, 3, C)).astype(np.float64)
    pb = RNG.uniform(0.05, 0.95, (N, 3, C))
    out = losses.binary_crossentropy(b, pb, axis=1, label_smoothing=0.1)
    assert K.int_shape(out) == (N, C)
    np.testing.assert_allclose(npv(out), ref_bce(b, pb, axis=1, label_smoothing=0.1), rtol=1e-6)


@pytest.mark.parametrize("labels", [LABELS, LABELS.reshape(N, 1), LABELS.astype(np.float32).reshape(N, 1),
                                    LABELS.astype(np.int64), LABELS.astype(np.uint8)],
                         ids=["int-(batch,)", "int-(batch,1)", "float32-(batch,1)", "int64", "uint8"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy(labels, from_logits):
    p = LOGITS if from_logits else PROBS
    out = losses.sparse_categorical_crossentropy(labels, p, from_logits=from_logits)
    assert K.int_shape(out) == (N,)
    np.testing.assert_allclose(npv(out), ref_sparse_cce(labels, p, from_logits), rtol=1e-6)


def test_sparse_categorical_crossentropy_ignore_class_and_sequences():
    labels = RNG.integers(0, C, (N, 3))
    labels[0, 1] = labels[3, 2] = -1
    p = RNG.standard_normal((N, 3, C))
    out = npv(losses.sparse_categorical_crossentropy(labels, p, from_logits=True, ignore_class=-1))
    expected = ref_sparse_cce(np.where(labels == -1, 0, labels), p, from_logits=True)
    expected[labels == -1] = 0
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_labels_of_shape_batch_against_predictions_of_shape_batch_1():
    t, p = RNG.standard_normal(N), RNG.standard_normal((N, 1))
    out = losses.mean_squared_error(t, p)
    assert K.int_shape(out) == (N,)
    np.testing.assert_allclose(npv(out), (t - p[:, 0]) ** 2, rtol=1e-12)
    out = losses.binary_crossentropy(BINARY[:, 0], PROBS[:, :1])
    np.testing.assert_allclose(npv(out), ref_bce(BINARY[:, :1], PROBS[:, :1]), rtol=1e-6)


def test_integer_targets_are_cast_to_the_prediction_dtype():
    p = PROBS.astype(np.float32)
    out = losses.binary_crossentropy(BINARY.astype(np.int32), p)
    assert K.dtype(out) == "float32"
    np.testing.assert_allclose(npv(out), ref_bce(BINARY, p.astype(np.float64)), rtol=1e-5)


def test_axis_must_be_an_int():
    with pytest.raises(TypeError, match="axis"):
        losses.categorical_crossentropy(ONE_HOT, PROBS, axis=True)


# -- aliases and names ----------------------------------------------------------

@pytest.mark.parametrize("alias,target", [
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"), ("mae", "mean_absolute_error"),
    ("MAE", "mean_absolute_error"), ("mape", "mean_absolute_percentage_error"),
    ("MAPE", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
    ("MSLE", "mean_squared_logarithmic_error"), ("kld", "kl_divergence"), ("KLD", "kl_divergence"),
    ("kullback_leibler_divergence", "kl_divergence"), ("logcosh", "log_cosh"), ("bce", "binary_crossentropy"),
    ("huber_loss", "huber"),
])
def test_aliases(alias, target):
    fn = getattr(losses, target)
    assert getattr(losses, alias) is fn
    assert losses.get(alias) is fn
    assert losses.serialize(losses.get(alias)) == target


def test_get_serialize_deserialize():
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get(None) is None
    assert losses.get(losses.hinge) is losses.hinge
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    assert losses.deserialize("poisson") is losses.poisson
    # Keras 3 files record a function as a dict
    assert losses.deserialize({"class_name": "function", "config": "mse"}) is losses.mean_squared_error

    bce = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum", name="my_bce")
    config = losses.serialize(bce)
    assert config["class_name"] == "BinaryCrossentropy" and config["module"] == "core.losses"
    assert config["config"] == {"name": "my_bce", "reduction": "sum", "from_logits": True,
                                "label_smoothing": 0.1, "axis": -1}
    for rebuilt in (losses.deserialize(config), losses.get(config)):
        assert isinstance(rebuilt, losses.BinaryCrossentropy)
        assert rebuilt.get_config() == bce.get_config()
        np.testing.assert_allclose(npv(rebuilt(BINARY, LOGITS)), npv(bce(BINARY, LOGITS)), rtol=1e-6)


def test_keras2_config_with_auto_reduction():
    config = {"class_name": "Huber", "config": {"reduction": "auto", "name": "huber_loss", "delta": 0.5}}
    loss = losses.deserialize(config)
    assert isinstance(loss, losses.Huber) and loss.reduction == "sum_over_batch_size"
    np.testing.assert_allclose(npv(loss(REAL_T, REAL_P)), ref_huber(REAL_T, REAL_P, 0.5).mean(), rtol=1e-5)


def test_unknown_names():
    with pytest.raises(ValueError, match="Unknown loss: 'mean_sqared_error'.*'mse'"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(42)
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`.*'sum_over_batch_size'"):
        losses.MeanSquaredError(reduction="average")


def test_custom_function_by_name():
    def my_loss(y_true, y_pred):
        return K.mean(K.abs(y_true - y_pred) * 2.0, axis=-1)

    with custom_object_scope({"my_loss": my_loss}):
        assert losses.get("my_loss") is my_loss
        wrapper = losses.LossFunctionWrapper(my_loss, reduction="sum")
        rebuilt = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert wrapper.name == "my_loss" and rebuilt.fn is my_loss
    np.testing.assert_allclose(npv(rebuilt(REAL_T, REAL_P)), 2 * np.abs(REAL_T - REAL_P).mean(-1).sum(), rtol=1e-5)


# -- Loss classes: reductions and sample weights --------------------------------

CLASS_CASES = [
    (losses.MeanSquaredError(), REAL_T, REAL_P, ref_mse),
    (losses.MeanAbsoluteError(), REAL_T, REAL_P, ref_mae),
    (losses.MeanAbsolutePercentageError(), REAL_T, REAL_P, ref_mape),
    (losses.MeanSquaredLogarithmicError(), POS_T, POS_P, ref_msle),
    (losses.Hinge(), BINARY, REAL_P, ref_hinge),
    (losses.SquaredHinge(), BINARY, REAL_P, ref_squared_hinge),
    (losses.CategoricalHinge(), ONE_HOT, REAL_P, ref_categorical_hinge),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), BINARY, LOGITS,
     lambda t, p: ref_bce(t, p, from_logits=True, label_smoothing=0.1)),
    (losses.CategoricalCrossentropy(label_smoothing=0.2), ONE_HOT, PROBS,
     lambda t, p: ref_cce(t, p, label_smoothing=0.2)),
    (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS.reshape(N, 1), LOGITS,
     lambda t, p: ref_sparse_cce(t, p, from_logits=True)),
    (losses.KLDivergence(), _probs((N, C)), PROBS, ref_kld),
    (losses.Poisson(), POS_T, POS_P, ref_poisson),
    (losses.CosineSimilarity(axis=-1), REAL_T, REAL_P, ref_cosine),
    (losses.Huber(delta=0.7), REAL_T, REAL_P, lambda t, p: ref_huber(t, p, 0.7)),
    (losses.LogCosh(), REAL_T, REAL_P, ref_log_cosh),
]


@pytest.mark.parametrize("loss,y_true,y_pred,ref", CLASS_CASES, ids=[type(c[0]).__name__ for c in CLASS_CASES])
def test_loss_class_default_reduction(loss, y_true, y_pred, ref):
    out = loss(y_true, y_pred)
    assert K.int_shape(out) == () and K.dtype(out) == "float32"
    np.testing.assert_allclose(npv(out), ref(y_true, y_pred).mean(), rtol=2e-5)


WEIGHTS = RNG.uniform(0.0, 2.0, N)


def _reduced(per_sample, weights, reduction):
    weighted = per_sample * weights
    return {"none": weighted, "sum": weighted.sum(), "sum_over_batch_size": weighted.mean(),
            "mean": weighted.mean(), "auto": weighted.mean(),
            "mean_with_sample_weight": weighted.sum() / np.broadcast_to(weights, weighted.shape).sum()}[reduction]


@pytest.mark.parametrize("reduction", ["none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight",
                                       "auto"])
@pytest.mark.parametrize("weight_shape", [None, (N,), (N, 1)], ids=["unweighted", "(batch,)", "(batch,1)"])
def test_reductions_with_sample_weight(reduction, weight_shape):
    loss = losses.MeanSquaredError(reduction=reduction)
    per_sample = ref_mse(REAL_T, REAL_P)
    if weight_shape is None:
        out, weights = loss(REAL_T, REAL_P), np.ones(N)
    else:
        out, weights = loss(REAL_T, REAL_P, sample_weight=WEIGHTS.reshape(weight_shape)), WEIGHTS
    expected = _reduced(per_sample, weights, reduction)
    if reduction == "none" and weight_shape != (N, 1):
        assert K.int_shape(out) == (N,)
    np.testing.assert_allclose(npv(out).reshape(np.shape(expected)), expected, rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "mean_with_sample_weight"])
def test_per_sample_weights_over_sequence_losses(reduction):
    labels = RNG.integers(0, C, (N, 3))
    logits = RNG.standard_normal((N, 3, C))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)
    out = loss(labels, logits, sample_weight=WEIGHTS)
    expected = _reduced(ref_sparse_cce(labels, logits, True), WEIGHTS[:, None], reduction)
    np.testing.assert_allclose(npv(out), expected, rtol=1e-5)
    full = RNG.uniform(0, 1, (N, 3))  # weights of the losses' own shape
    out = loss(labels, logits, sample_weight=full)
    np.testing.assert_allclose(npv(out), _reduced(ref_sparse_cce(labels, logits, True), full, reduction), rtol=1e-5)


def test_zero_total_weight_gives_zero_not_nan():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert npv(loss(REAL_T, REAL_P, sample_weight=np.zeros(N))) == 0


def test_ignore_class_averages_over_valid_entries_only():
    labels = RNG.integers(0, C, (N, 3))
    labels[1, :] = labels[2, 0] = 255
    logits = RNG.standard_normal((N, 3, C))
    valid = labels != 255
    per_entry = ref_sparse_cce(np.where(valid, labels, 0), logits, True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    np.testing.assert_allclose(npv(loss(labels, logits)), per_entry[valid].mean(), rtol=1e-5)
    summed = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction="sum")
    np.testing.assert_allclose(npv(summed(labels, logits)), per_entry[valid].sum(), rtol=1e-5)


def test_loss_dtype_and_subclass():
    class ScaledAbs(losses.Loss):
        def __init__(self, scale, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return K.sum(K.abs(y_true - y_pred), axis=-1) * self.scale

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    loss = ScaledAbs(3.0, reduction="sum", dtype="float64")
    assert loss.name == "scaled_abs"
    out = loss(REAL_T, REAL_P)
    assert K.dtype(out) == "float64"
    np.testing.assert_allclose(npv(out), 3 * np.abs(REAL_T - REAL_P).sum(), rtol=1e-12)
    rebuilt = ScaledAbs.from_config(loss.get_config())
    assert rebuilt.get_config() == {"name": "scaled_abs", "reduction": "sum", "dtype": "float64", "scale": 3.0}


def test_losses_inside_a_compiled_step():
    cce = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    scce = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    hinge = losses.Hinge(reduction="sum")

    def step(onehot, labels, logits, weights):
        return (cce(onehot, logits, sample_weight=weights), scce(labels, logits), hinge(onehot, logits))

    got = K.jit(step)(ONE_HOT, LABELS, LOGITS, WEIGHTS)
    np.testing.assert_allclose(npv(got[0]), (ref_cce(ONE_HOT, LOGITS, True, 0.1) * WEIGHTS).mean(), rtol=1e-5)
    valid = LABELS != 0
    np.testing.assert_allclose(npv(got[1]), ref_sparse_cce(LABELS, LOGITS, True)[valid].mean(), rtol=1e-5)
    np.testing.assert_allclose(npv(got[2]), ref_hinge(ONE_HOT, LOGITS).sum(), rtol=1e-5)


# -- gradients ------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: losses.Huber(delta=0.8, dtype="float64"),
    lambda: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, dtype="float64"),
    lambda: losses.LogCosh(dtype="float64"),
], ids=["huber", "cce-logits", "log_cosh"])
def test_gradient_matches_central_differences(make):
    loss = make()
    y_true = ONE_HOT if isinstance(loss, losses.CategoricalCrossentropy) else REAL_T
    v = K.variable(LOGITS, dtype="float64")
    (g,) = K.gradients(lambda: loss(y_true, v, sample_weight=WEIGHTS), [v])
    expected = central_difference(lambda p: float(npv(loss(y_true, p, sample_weight=WEIGHTS))), LOGITS.copy())
    np.testing.assert_allclose(npv(g), expected, rtol=1e-5, atol=1e-8)
