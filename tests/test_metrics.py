"""core.metrics against float64 numpy references, on the active engine."""

import json

import numpy as np
import pytest

import core.metrics as M
import kbackend as K
from core.saving import custom_object_scope, register_keras_serializable

EPS = 1e-7


def npv(x):
    return np.asarray(K.eval(x), dtype="float64")


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(npv(actual), np.asarray(expected, dtype="float64"), rtol=rtol, atol=atol)


def wmean(per_sample, weights=None):
    per_sample = np.asarray(per_sample, dtype="float64")
    if weights is None:
        return per_sample.mean()
    weights = np.asarray(weights, dtype="float64").reshape(per_sample.shape)
    return (per_sample * weights).sum() / weights.sum()


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

rng = np.random.default_rng(1234)
B, C = 16, 7
PROBS = rng.dirichlet(np.ones(C), size=B).astype("float32")      # distinct scores: no top-k ties
LABELS = rng.integers(0, C, size=B)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
Y_BIN = (rng.random((B, 3)) > 0.5).astype("float32")
P_BIN = rng.random((B, 3)).astype("float32")
Y_REG = rng.normal(size=(B, 4)).astype("float32")
P_REG = rng.normal(size=(B, 4)).astype("float32")
W = rng.uniform(0.1, 2.0, size=B).astype("float32")


def d64(*arrays):
    return [np.asarray(a, dtype="float64") for a in arrays]


# per-sample float64 references
def ref_mse(t, p):
    return ((p - t) ** 2).mean(-1)


def ref_mae(t, p):
    return np.abs(p - t).mean(-1)


def ref_mape(t, p):
    return 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)


def ref_msle(t, p):
    return ((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2).mean(-1)


def ref_cosine(t, p):
    return (t * p).sum(-1) / (np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1))


def ref_logcosh(t, p):
    return np.log(np.cosh(p - t)).mean(-1)


def ref_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def ref_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def ref_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1)


def ref_poisson(t, p):
    return (p - t * np.log(p + EPS)).mean(-1)


def ref_hinge(t, p):
    t = 2 * t - 1 if np.all((t == 0) | (t == 1)) else t
    return np.maximum(1 - t * p, 0).mean(-1)


def ref_squared_hinge(t, p):
    t = 2 * t - 1 if np.all((t == 0) | (t == 1)) else t
    return (np.maximum(1 - t * p, 0) ** 2).mean(-1)


def ref_categorical_hinge(t, p):
    return np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)


POSITIVE = np.abs(Y_REG) + 0.1, np.abs(P_REG) + 0.1
REGRESSION_CASES = [
    ("mean_squared_error", M.MeanSquaredError, ref_mse, (Y_REG, P_REG)),
    ("mean_absolute_error", M.MeanAbsoluteError, ref_mae, (Y_REG, P_REG)),
    ("mean_absolute_percentage_error", M.MeanAbsolutePercentageError, ref_mape, (Y_REG, P_REG)),
    ("mean_squared_logarithmic_error", M.MeanSquaredLogarithmicError, ref_msle, POSITIVE),
    ("cosine_similarity", M.CosineSimilarity, ref_cosine, (Y_REG, P_REG)),
    ("log_cosh", M.LogCoshError, ref_logcosh, (Y_REG, P_REG)),
    ("binary_crossentropy", M.BinaryCrossentropy, ref_bce, (Y_BIN, P_BIN)),
    ("categorical_crossentropy", M.CategoricalCrossentropy, ref_cce, (ONE_HOT, PROBS)),
    ("kl_divergence", M.KLDivergence, ref_kld, (ONE_HOT, PROBS)),
    ("poisson", M.Poisson, ref_poisson, POSITIVE),
    ("hinge", M.Hinge, ref_hinge, (Y_BIN, P_REG[:, :3])),
    ("squared_hinge", M.SquaredHinge, ref_squared_hinge, (2 * Y_BIN - 1, P_REG[:, :3])),
    ("categorical_hinge", M.CategoricalHinge, ref_categorical_hinge, (ONE_HOT, PROBS)),
]


# ---------------------------------------------------------------------------
# accuracy
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_binary_accuracy_function_and_class(threshold):
    y, p = d64(Y_BIN, P_BIN)
    per_sample = ((p > threshold) == y).mean(-1)
    close(M.binary_accuracy(Y_BIN, P_BIN, threshold=threshold), per_sample)
    # a single column: (batch,) and (batch, 1) in any combination give one value per sample
    column = ((p[:, 0] > threshold) == y[:, 0]).astype("float64")
    close(M.binary_accuracy(Y_BIN[:, 0], P_BIN[:, :1], threshold=threshold), column)
    close(M.binary_accuracy(Y_BIN[:, :1], P_BIN[:, 0], threshold=threshold), column)
    m = M.BinaryAccuracy(threshold=threshold)
    assert m.name == "binary_accuracy"
    close(m(Y_BIN, P_BIN, sample_weight=W), wmean(per_sample, W))


def test_categorical_and_sparse_accuracy():
    hit = (PROBS.argmax(-1) == LABELS).astype("float64")
    assert 0 < hit.sum() < B  # the data exercises both outcomes
    close(M.categorical_accuracy(ONE_HOT, PROBS), hit)
    for labels in (LABELS, LABELS[:, None], LABELS.astype("float32"), LABELS[:, None].astype("float32")):
        close(M.sparse_categorical_accuracy(labels, PROBS), hit)
        m = M.SparseCategoricalAccuracy()
        close(m(labels, PROBS, sample_weight=W[:, None]), wmean(hit, W))
    close(M.CategoricalAccuracy()(ONE_HOT, PROBS, sample_weight=W), wmean(hit, W))


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_accuracy(k):
    target_scores = PROBS[np.arange(B), LABELS]
    hit = ((PROBS > target_scores[:, None]).sum(-1) < k).astype("float64")
    close(M.top_k_categorical_accuracy(ONE_HOT, PROBS, k=k), hit)
    close(M.sparse_top_k_categorical_accuracy(LABELS, PROBS, k=k), hit)
    close(M.sparse_top_k_categorical_accuracy(LABELS[:, None].astype("float32"), PROBS, k=k), hit)
    close(M.TopKCategoricalAccuracy(k=k)(ONE_HOT, PROBS, sample_weight=W), wmean(hit, W))
    close(M.SparseTopKCategoricalAccuracy(k=k)(LABELS, PROBS, sample_weight=W), wmean(hit, W))


def test_top_k_default_is_five():
    target_scores = PROBS[np.arange(B), LABELS]
    hit = ((PROBS > target_scores[:, None]).sum(-1) < 5).astype("float64")
    assert hit.mean() not in (0.0, 1.0)
    close(M.TopKCategoricalAccuracy()(ONE_HOT, PROBS), hit.mean())
    close(M.sparse_top_k_categorical_accuracy(LABELS, PROBS), hit)


def test_exact_accuracy():
    y_true = np.array([[1], [2], [3], [4]])
    y_pred = np.array([[1.0], [2.5], [3.0], [0.0]], dtype="float32")
    close(M.accuracy(y_true, y_pred), [1, 0, 1, 0])
    close(M.Accuracy()(y_true, y_pred, sample_weight=[1, 1, 3, 1]), 4 / 6)


# ---------------------------------------------------------------------------
# Mean, Sum, wrapper
# ---------------------------------------------------------------------------

def test_mean_and_sum_weighting():
    v = rng.normal(size=(5, 3)).astype("float32")
    w = rng.uniform(0.5, 2.0, size=5).astype("float32")
    v64, w64 = d64(v, w)
    cases = [  # (values, weights, expected mean, expected sum)
        (v[:, 0], None, v64[:, 0].mean(), v64[:, 0].sum()),
        (v[:, 0], w, wmean(v64[:, 0], w64), (v64[:, 0] * w64).sum()),
        (v[:, 0], w[:, None], wmean(v64[:, 0], w64), (v64[:, 0] * w64).sum()),
        (v, None, v64.mean(), v64.sum()),
        (v, w, wmean(v64.mean(1), w64), (v64.sum(1) * w64).sum()),
        (v, w[:, None], wmean(v64.mean(1), w64), (v64.sum(1) * w64).sum()),
        (v, np.tile(w[:, None], (1, 3)), wmean(v64.mean(1), w64), (v64.sum(1) * w64).sum()),
        (v, 2.0, v64.mean(), 2 * v64.sum()),
    ]
    for values, weights, mean, total in cases:
        close(M.Mean()(values, sample_weight=weights), mean)
        close(M.Sum()(values, sample_weight=weights), total)
    m = M.Mean()
    m.update_state(3.0)
    m.update_state([1.0, 2.0])
    close(m.result(), 2.0)
    close(M.Mean().result(), 0.0)  # nothing seen yet: 0, not nan


def test_mean_per_element_weights_count_their_share():
    v = np.array([[1.0, 3.0], [5.0, 7.0]], dtype="float32")
    w = np.array([[1.0, 0.0], [1.0, 1.0]], dtype="float32")
    close(M.Mean()(v, sample_weight=w), (1 + 5 + 7) / 3)


def test_mean_metric_wrapper_with_a_custom_function():
    def max_abs_error(y_true, y_pred, scale=1.0):
        return scale * K.max(K.abs(K.subtract(y_pred, y_true)), axis=-1)

    m = M.MeanMetricWrapper(max_abs_error, scale=2.0)
    assert m.name == "max_abs_error"
    y, p = d64(Y_REG, P_REG)
    close(m(Y_REG, P_REG, sample_weight=W), wmean(2 * np.abs(p - y).max(-1), W))


def test_metric_defaults():
    m = M.Mean()
    assert m.dtype == K.floatx() and m.name == "mean"
    assert [v.name for v in m.variables] == ["total", "count"]
    assert not any(v.trainable for v in m.variables)
    assert M.AUC().name == "auc" and M.TruePositives().name == "true_positives"
    assert M.Precision(name="p").name == "p"
    assert M.Mean(dtype="float64").variables[0].dtype == "float64"


# ---------------------------------------------------------------------------
# regression and probabilistic metrics
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn_name,cls,ref,data", REGRESSION_CASES, ids=[c[0] for c in REGRESSION_CASES])
def test_regression_and_probabilistic_metrics(fn_name, cls, ref, data):
    y, p = data
    per_sample = ref(*d64(y, p))
    close(getattr(M, fn_name)(y, p), per_sample, rtol=2e-5, atol=2e-5)
    close(cls()(y, p), per_sample.mean(), rtol=2e-5, atol=2e-5)
    close(cls()(y, p, sample_weight=W), wmean(per_sample, W), rtol=2e-5, atol=2e-5)


def test_root_mean_squared_error():
    y, p = d64(Y_REG, P_REG)
    close(M.RootMeanSquaredError()(Y_REG, P_REG, sample_weight=W), np.sqrt(wmean(ref_mse(y, p), W)))
    # a single column, labels (batch,) against predictions (batch, 1)
    close(M.RootMeanSquaredError()(Y_REG[:, 0], P_REG[:, :1]), np.sqrt(((p[:, 0] - y[:, 0]) ** 2).mean()))


def test_crossentropy_options():
    y, p = d64(Y_BIN, P_REG[:, :3])
    smoothed = y * 0.8 + 0.1
    sig = 1 / (1 + np.exp(-p))
    expected = -(smoothed * np.log(sig) + (1 - smoothed) * np.log(1 - sig)).mean(-1)
    close(M.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)(Y_BIN, P_REG[:, :3]), expected.mean())

    t, q = d64(ONE_HOT, PROBS)
    soft = t * 0.9 + 0.1 / C
    close(M.CategoricalCrossentropy(label_smoothing=0.1)(ONE_HOT, PROBS), ref_cce(soft, q).mean(), rtol=2e-5)
    logits = np.log(q) + 3.0
    for labels in (LABELS, LABELS[:, None]):
        close(M.sparse_categorical_crossentropy(labels, PROBS), ref_cce(t, q), rtol=2e-5)
        close(M.SparseCategoricalCrossentropy(from_logits=True)(labels, logits.astype("float32"), sample_weight=W),
              wmean(ref_cce(t, q), W), rtol=2e-5)


def test_hinge_keeps_signed_labels():
    y = np.array([[-1.0, 1.0], [1.0, -1.0]], dtype="float32")
    p = np.array([[0.3, 0.8], [-0.5, -2.0]], dtype="float32")
    close(M.hinge(y, p), ref_hinge(*d64(y, p)))


# ---------------------------------------------------------------------------
# confusion counts, precision, recall
# ---------------------------------------------------------------------------

def ref_counts(y, p, thresholds, w=None):
    """{kind: count per threshold}: positive prediction when p > t."""
    y, p = d64(y, p)
    w = np.ones_like(p) if w is None else np.broadcast_to(np.reshape(w, (-1,) + (1,) * (p.ndim - 1)), p.shape)
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for t in thresholds:
        pred, actual = p > t, y != 0
        out["tp"].append((w * (pred & actual)).sum())
        out["fp"].append((w * (pred & ~actual)).sum())
        out["tn"].append((w * (~pred & ~actual)).sum())
        out["fn"].append((w * (~pred & actual)).sum())
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("cls,kind", [(M.TruePositives, "tp"), (M.FalsePositives, "fp"),
                                      (M.TrueNegatives, "tn"), (M.FalseNegatives, "fn")])
def test_confusion_counts(cls, kind):
    close(cls()(Y_BIN, P_BIN), ref_counts(Y_BIN, P_BIN, [0.5])[kind][0])
    thresholds = [0.1, 0.5, 0.8]
    m = cls(thresholds=thresholds)
    close(m(Y_BIN, P_BIN, sample_weight=W), ref_counts(Y_BIN, P_BIN, thresholds, W)[kind])
    assert npv(m.result()).shape == (3,)


def test_precision_and_recall_with_thresholds():
    thresholds = [0.2, 0.5, 0.7]
    counts = ref_counts(Y_BIN, P_BIN, thresholds, W)
    close(M.Precision(thresholds=thresholds)(Y_BIN, P_BIN, sample_weight=W),
          counts["tp"] / (counts["tp"] + counts["fp"]))
    close(M.Recall(thresholds=thresholds)(Y_BIN, P_BIN, sample_weight=W), counts["tp"] / (counts["tp"] + counts["fn"]))
    c = ref_counts(Y_BIN, P_BIN, [0.5])
    close(M.Precision()(Y_BIN, P_BIN), c["tp"][0] / (c["tp"][0] + c["fp"][0]))
    close(M.Recall()(Y_BIN, P_BIN), c["tp"][0] / (c["tp"][0] + c["fn"][0]))
    # nothing predicted positive: 0, not nan
    close(M.Precision(thresholds=0.99)([[1.0, 0.0]], [[0.5, 0.2]]), 0.0)


@pytest.mark.parametrize("k", [1, 3])
def test_precision_and_recall_top_k(k):
    # multi-hot labels; only each row's k best scores can count as positive
    y = (rng.random((B, C)) > 0.6).astype("float32")
    top = np.argsort(-PROBS, axis=-1)[:, :k]
    chosen = np.zeros((B, C), bool)
    np.put_along_axis(chosen, top, True, axis=-1)
    actual = y != 0
    tp, fp, fn = (chosen & actual).sum(), (chosen & ~actual).sum(), (~chosen & actual).sum()
    close(M.Precision(top_k=k)(y, PROBS), tp / (tp + fp))
    close(M.Recall(top_k=k)(y, PROBS), tp / (tp + fn))
    # top_k together with a threshold: among the top k, only scores above it
    chosen_t = chosen & (PROBS > 0.2)
    close(M.Precision(top_k=k, thresholds=0.2)(y, PROBS), (chosen_t & actual).sum() / chosen_t.sum())


def test_precision_and_recall_class_id():
    y = (rng.random((B, C)) > 0.5).astype("float32")
    for class_id in (0, 4):
        counts = ref_counts(y[:, class_id], PROBS[:, class_id], [0.1], W)
        close(M.Precision(class_id=class_id, thresholds=0.1)(y, PROBS, sample_weight=W),
              counts["tp"][0] / (counts["tp"][0] + counts["fp"][0]))
        close(M.Recall(class_id=class_id, thresholds=0.1)(y, PROBS, sample_weight=W),
              counts["tp"][0] / (counts["tp"][0] + counts["fn"][0]))
    # class_id after top_k: class 2 counts as predicted only where it is among a row's 2 best
    in_top = (PROBS > np.sort(PROBS, axis=-1)[:, -3:-2]).astype(bool)[:, 2]
    actual = y[:, 2] != 0
    close(M.Recall(top_k=2, class_id=2)(y, PROBS), (in_top & actual).sum() / actual.sum())


# ---------------------------------------------------------------------------
# AUC
# ---------------------------------------------------------------------------

def auc_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


def ref_auc(y, p, thresholds, curve="ROC", method="interpolation", w=None):
    c = ref_counts(y, p, thresholds, w)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]

    def ratio(a, b):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)

    if curve == "PR" and method == "interpolation":
        # precision along each piece is (tp) / (tp + fp), with tp linear in tp + fp (Davis & Goadrich)
        total = 0.0
        for i in range(len(thresholds) - 1):
            p0, p1 = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
            if p0 == p1 or tp[i + 1] + fn[i + 1] == 0:
                continue
            slope = (tp[i] - tp[i + 1]) / (p0 - p1)
            intercept = tp[i + 1] - slope * p1
            log_ratio = np.log(p0 / p1) if p0 > 0 and p1 > 0 else 0.0
            total += slope * (tp[i] - tp[i + 1] + intercept * log_ratio) / (tp[i + 1] + fn[i + 1])
        return total
    recall = ratio(tp, tp + fn)
    x, ys = (ratio(fp, fp + tn), recall) if curve == "ROC" else (recall, ratio(tp, tp + fp))
    heights = {"interpolation": (ys[:-1] + ys[1:]) / 2, "minoring": np.minimum(ys[:-1], ys[1:]),
               "majoring": np.maximum(ys[:-1], ys[1:])}[method]
    return ((x[:-1] - x[1:]) * heights).sum()


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("method", ["interpolation", "minoring", "majoring"])
def test_auc_against_numpy(curve, method):
    m = M.AUC(num_thresholds=50, curve=curve, summation_method=method)
    close(m(Y_BIN, P_BIN, sample_weight=W), ref_auc(Y_BIN, P_BIN, auc_thresholds(50), curve, method, W), rtol=1e-4)
    given = [0.15, 0.3, 0.45, 0.6, 0.9]
    m = M.AUC(thresholds=given[::-1], curve=curve, summation_method=method)
    assert m.num_thresholds == 7
    close(m(Y_BIN, P_BIN), ref_auc(Y_BIN, P_BIN, [-EPS] + given + [1 + EPS], curve, method), rtol=1e-4)


def test_auc_close_to_sklearn_with_many_thresholds():
    metrics = pytest.importorskip("sklearn.metrics")
    y = (rng.random(300) > 0.4).astype("float32")
    p = np.clip(0.3 * y + 0.7 * rng.random(300), 0, 1).astype("float32")
    ours = npv(M.AUC(num_thresholds=2000)(y, p))
    assert abs(ours - metrics.roc_auc_score(y, p)) < 2e-3
    w = rng.uniform(0.1, 2, size=300)
    auc = npv(M.AUC(num_thresholds=2000)(y, p, sample_weight=w))
    assert abs(auc - metrics.roc_auc_score(y, p, sample_weight=w)) < 2e-3


def test_auc_known_values():
    y = np.array([0, 0, 1, 1], dtype="float32")
    close(M.AUC()(y, np.array([0.1, 0.2, 0.8, 0.9])), 1.0)
    close(M.AUC()(y, np.array([0.9, 0.8, 0.2, 0.1])), 0.0)
    close(M.AUC(curve="PR")(y, np.array([0.1, 0.2, 0.8, 0.9])), 1.0, rtol=1e-4)
    close(M.AUC().result(), 0.0)


def test_auc_multi_label_from_logits_and_label_weights():
    n = 30
    thresholds = auc_thresholds(n)
    per_label = [ref_auc(Y_BIN[:, j], P_BIN[:, j], thresholds, w=W) for j in range(3)]
    close(M.AUC(num_thresholds=n, multi_label=True, num_labels=3)(Y_BIN, P_BIN, sample_weight=W),
          np.mean(per_label), rtol=1e-4)
    weights = np.array([1.0, 3.0, 0.5])
    m = M.AUC(num_thresholds=n, multi_label=True, label_weights=weights)  # sized by the first batch
    close(m(Y_BIN, P_BIN, sample_weight=W), (np.array(per_label) * weights).sum() / weights.sum(), rtol=1e-4)
    assert m.true_positives.shape == (n, 3)
    logits = np.log(P_BIN) - np.log1p(-P_BIN)
    close(M.AUC(num_thresholds=n, from_logits=True)(Y_BIN, logits),
          ref_auc(Y_BIN, P_BIN, thresholds), rtol=1e-4)


# ---------------------------------------------------------------------------
# streaming, reset
# ---------------------------------------------------------------------------

STREAMING = [
    ("binary_accuracy", M.BinaryAccuracy, Y_BIN, P_BIN),
    ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy, LABELS, PROBS),
    ("top_k", lambda: M.TopKCategoricalAccuracy(k=2), ONE_HOT, PROBS),
    ("mse", M.MeanSquaredError, Y_REG, P_REG),
    ("rmse", M.RootMeanSquaredError, Y_REG, P_REG),
    ("cce", M.CategoricalCrossentropy, ONE_HOT, PROBS),
    ("auc_roc", M.AUC, Y_BIN, P_BIN),
    ("auc_pr", lambda: M.AUC(curve="PR", num_thresholds=40), Y_BIN, P_BIN),
    ("auc_multi", lambda: M.AUC(multi_label=True, num_labels=3), Y_BIN, P_BIN),
    ("precision", lambda: M.Precision(thresholds=[0.3, 0.6]), Y_BIN, P_BIN),
    ("recall_top_k", lambda: M.Recall(top_k=2), ONE_HOT, PROBS),
    ("false_negatives", M.FalseNegatives, Y_BIN, P_BIN),
]


@pytest.mark.parametrize("make,y,p", [c[1:] for c in STREAMING], ids=[c[0] for c in STREAMING])
def test_streaming_equals_one_call_and_reset(make, y, p):
    whole = make()
    whole.update_state(y, p, sample_weight=W)
    parts = make()
    for lo, hi in ((0, 3), (3, 11), (11, B)):
        parts.update_state(y[lo:hi], p[lo:hi], sample_weight=W[lo:hi])
    close(parts.result(), npv(whole.result()), rtol=1e-5)
    for a, b in zip(parts.variables, whole.variables):
        close(a, b.numpy(), rtol=1e-5)
    parts.reset_state()
    for v in parts.variables:
        close(v, np.zeros(v.shape))
    parts.update_state(y[:5], p[:5])
    fresh = make()
    fresh.update_state(y[:5], p[:5])
    close(parts.result(), npv(fresh.result()))


def test_mean_streaming_with_weights():
    v = rng.normal(size=(10, 2)).astype("float32")
    m = M.Mean()
    m.update_state(v[:4], sample_weight=W[:4])
    m.update_state(v[4:], sample_weight=W[4:10])
    close(m.result(), wmean(v.astype("float64").mean(1), W[:10]))
    s = M.Sum()
    s.update_state(v[:4])
    s.update_state(v[4:], sample_weight=2.0)
    close(s.result(), v[:4].astype("float64").sum() + 2 * v[4:].astype("float64").sum())
    s.reset_states()
    close(s.result(), 0.0)


class _Running(M.Metric):
    """A custom metric the Keras 2 way: add_weight, a sub-metric, non-zero initial state."""

    def __init__(self, name="running", **kwargs):
        super().__init__(name=name, **kwargs)
        self.best = self.add_weight(name="best", initializer=lambda shape: np.full(shape, -np.inf))
        self.inner = M.Mean(name="inner")
        self.calls = self.add_variable((), initializer="ones", name="calls")

    def update_state(self, values):
        self.best.assign(K.maximum(self.best.value, K.max(values)))
        self.inner.update_state(values)
        self.calls.assign_add(1.0)

    def result(self):
        return self.best.value + self.inner.result() * self.calls.value


def test_custom_metric_state_order_and_reset():
    m = _Running()
    assert [v.name for v in m.variables] == ["best", "total", "count", "calls"]
    m.update_state([1.0, 5.0])
    m.update_state([3.0])
    close(m.result(), 5.0 + 3.0 * 3.0)
    m.reset_state()
    close(m.best, -np.inf)
    close(m.calls, 1.0)
    close(m.inner.count, 0.0)


# ---------------------------------------------------------------------------
# stateless use and compiled steps
# ---------------------------------------------------------------------------

def _batches(make, y, p):
    return make, [(y[:7], p[:7], W[:7]), (y[7:], p[7:], W[7:])]


COMPILED = [
    ("binary_accuracy", M.BinaryAccuracy, Y_BIN, P_BIN),
    ("auc_pr", lambda: M.AUC(curve="PR", num_thresholds=30), Y_BIN, P_BIN),
    ("precision_top_k", lambda: M.Precision(top_k=2), ONE_HOT, PROBS),
    ("rmse", M.RootMeanSquaredError, Y_REG, P_REG),
    ("sparse_top_k", lambda: M.SparseTopKCategoricalAccuracy(k=3), LABELS[:, None], PROBS),
]


@pytest.mark.parametrize("make,y,p", [c[1:] for c in COMPILED], ids=[c[0] for c in COMPILED])
def test_stateless_scope_records_and_leaves_variables(make, y, p):
    eager, m = make(), make()
    values = [v.value for v in m.variables]
    for yb, pb, wb in _batches(make, y, p)[1]:
        eager.update_state(yb, pb, sample_weight=wb)
        with K.StatelessScope(dict(zip(m.variables, values))) as scope:
            m.update_state(yb, pb, sample_weight=wb)
        assigned = {id(v): value for v, value in scope.assignments()}
        values = [assigned.get(id(v), value) for v, value in zip(m.variables, values)]
    for v in m.variables:
        close(v, np.zeros(v.shape))  # untouched
    for value, v in zip(values, eager.variables):
        close(value, v.numpy(), rtol=1e-5)
    close(m.stateless_result(values), npv(eager.result()), rtol=1e-5)

    # the same through Keras 3's stateless API
    state = m.stateless_reset_state()
    for yb, pb, wb in _batches(make, y, p)[1]:
        state = m.stateless_update_state(state, yb, pb, sample_weight=wb)
    close(m.stateless_result(state), npv(eager.result()), rtol=1e-5)
    close(m.result(), 0.0)


@pytest.mark.parametrize("make,y,p", [c[1:] for c in COMPILED], ids=[c[0] for c in COMPILED])
def test_compiled_update_matches_eager(make, y, p):
    eager, live, pure = make(), make(), make()

    @K.jit
    def step(yb, pb, wb):
        live.update_state(yb, pb, sample_weight=wb)
        return live.result()

    @K.jit
    def pure_step(state, yb, pb, wb):  # the trainer's way: state in, state out
        with K.StatelessScope(dict(zip(pure.variables, state))) as scope:
            pure.update_state(yb, pb, sample_weight=wb)
            out = pure.result()
        assigned = {id(v): value for v, value in scope.assignments()}
        return out, [assigned.get(id(v), value) for v, value in zip(pure.variables, state)]

    state = [v.value for v in pure.variables]
    for yb, pb, wb in _batches(make, y, p)[1]:
        expected = eager(yb, pb, sample_weight=wb)
        close(step(yb, pb, wb), npv(expected), rtol=1e-5)
        out, state = pure_step(state, yb, pb, wb)
        close(out, npv(expected), rtol=1e-5)
    for a, b in zip(live.variables, eager.variables):
        close(a, b.numpy(), rtol=1e-5)


# ---------------------------------------------------------------------------
# config, get / serialize / deserialize
# ---------------------------------------------------------------------------

CONFIGURED = [
    M.Mean(name="m"), M.Sum(dtype="float64"), M.BinaryAccuracy(threshold=0.3), M.Accuracy(),
    M.TopKCategoricalAccuracy(k=3, name="top3"), M.SparseTopKCategoricalAccuracy(k=2),
    M.AUC(num_thresholds=17, curve="PR", summation_method="majoring", multi_label=True, num_labels=3,
          label_weights=[1, 2, 3], from_logits=True),
    M.AUC(thresholds=[0.2, 0.7]), M.Precision(thresholds=[0.1, 0.4], top_k=2, class_id=1),
    M.Recall(thresholds=0.3), M.TruePositives(thresholds=[0.25]), M.FalseNegatives(),
    M.MeanSquaredError(), M.RootMeanSquaredError(), M.CosineSimilarity(axis=1), M.LogCoshError(),
    M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), M.CategoricalCrossentropy(axis=-1),
    M.SparseCategoricalCrossentropy(from_logits=True), M.KLDivergence(), M.Poisson(), M.Hinge(),
    M.SquaredHinge(), M.CategoricalHinge(), M.MeanAbsoluteError(), M.MeanAbsolutePercentageError(),
    M.MeanSquaredLogarithmicError(), M.CategoricalAccuracy(), M.SparseCategoricalAccuracy(),
    M.MeanMetricWrapper(M.mean_squared_error, name="wrapped"),
]


@pytest.mark.parametrize("metric", CONFIGURED, ids=[type(m).__name__ for m in CONFIGURED])
def test_config_round_trip(metric):
    config = metric.get_config()
    assert config["name"] == metric.name and config["dtype"] == metric.dtype
    rebuilt = type(metric).from_config(config)
    assert rebuilt.get_config() == config
    text = json.dumps(M.serialize(metric))
    again = M.deserialize(json.loads(text))
    assert type(again) is type(metric) and again.get_config() == config
    assert [v.shape for v in again.variables] == [v.shape for v in metric.variables]


def test_config_values():
    assert M.BinaryAccuracy(threshold=0.3).get_config()["threshold"] == 0.3
    config = M.Precision(thresholds=[0.1, 0.4], top_k=2, class_id=1).get_config()
    assert (config["thresholds"], config["top_k"], config["class_id"]) == ([0.1, 0.4], 2, 1)
    assert M.AUC(thresholds=[0.7, 0.2]).get_config()["thresholds"] == [0.2, 0.7]
    assert M.AUC(curve="pr").get_config()["curve"] == "PR"
    assert M.serialize(M.AUC())["module"] == "core.metrics"


def test_wrapped_custom_function_round_trip():
    @register_keras_serializable(package="test_metrics")
    def half_error(y_true, y_pred):
        return 0.5 * K.mean(K.abs(K.subtract(y_pred, y_true)), axis=-1)

    m = M.MeanMetricWrapper(half_error)
    config = m.get_config()
    assert config["fn"] == "test_metrics>half_error"
    rebuilt = M.deserialize(json.loads(json.dumps(M.serialize(m))))
    close(rebuilt(Y_REG, P_REG), 0.5 * ref_mae(*d64(Y_REG, P_REG)).mean())

    def unregistered(y_true, y_pred):
        return K.abs(K.subtract(y_pred, y_true))

    config = M.MeanMetricWrapper(unregistered).get_config()
    with pytest.raises(ValueError, match="Unknown metric: 'unregistered'"):
        M.MeanMetricWrapper.from_config(config)
    with custom_object_scope({"unregistered": unregistered}):
        assert M.MeanMetricWrapper.from_config(config)._fn is unregistered


def test_get_resolves_names():
    assert M.get("binary_accuracy") is M.binary_accuracy
    assert M.get("acc") is M.accuracy and M.get("accuracy") is M.accuracy
    for short, fn in [("mse", M.mean_squared_error), ("MSE", M.mean_squared_error), ("mae", M.mean_absolute_error),
                      ("mape", M.mean_absolute_percentage_error), ("msle", M.mean_squared_logarithmic_error),
                      ("bce", M.binary_crossentropy), ("kld", M.kl_divergence), ("logcosh", M.log_cosh),
                      ("cosine_proximity", M.cosine_similarity)]:
        assert M.get(short) is fn
        assert getattr(M, short) is fn
    assert M.get("ce") is M.categorical_crossentropy and M.get("crossentropy") is M.categorical_crossentropy
    assert isinstance(M.get("AUC"), M.AUC) and isinstance(M.get("auc"), M.AUC)
    assert isinstance(M.get("Precision"), M.Precision) and isinstance(M.get("root_mean_squared_error"),
                                                                      M.RootMeanSquaredError)
    assert isinstance(M.get("MeanSquaredError"), M.MeanSquaredError)
    m = M.Recall()
    assert M.get(m) is m and M.get(M.hinge) is M.hinge and M.get(None) is None
    built = M.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.8}})
    assert isinstance(built, M.BinaryAccuracy) and built.get_config()["threshold"] == 0.8
    assert M.serialize(M.binary_accuracy) == "binary_accuracy"
    with pytest.raises(ValueError, match="Unknown metric: 'no_such_metric'"):
        M.get("no_such_metric")


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="num_thresholds must be an integer > 1"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve must be 'ROC' or 'PR'"):
        M.AUC(curve="ROCC")
    with pytest.raises(ValueError, match="summation_method must be one of"):
        M.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        M.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="label_weights must be non-negative"):
        M.AUC(multi_label=True, label_weights=[1, -1])
    with pytest.raises(TypeError, match="needs a function"):
        M.MeanMetricWrapper(3)
    with pytest.raises(ValueError, match="initializer must be 'zeros', 'ones' or a callable"):
        M.Mean().add_variable((2,), initializer="glorot_uniform")
    with pytest.raises(ValueError, match="aggregation must be one of"):
        M.Mean().add_variable((), aggregation="max")
    with pytest.raises(ValueError, match="does not match y_pred of shape"):
        M.Precision()(np.ones((4, 2)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="more axes than the metric values"):
        M.Mean()(np.ones(4), sample_weight=np.ones((4, 2)))
    with pytest.raises(ValueError, match="has 2 state variables; got 1 values"):
        M.Mean().stateless_update_state([0.0], [1.0])
    with pytest.raises(NotImplementedError, match="must define update_state"):
        M.Metric().update_state(1.0)
