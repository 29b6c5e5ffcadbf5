"""core.regularizers and core.constraints on the active engine: values against
float64 numpy formulas (eagerly, on Variables and inside K.jit), gradients of
the penalties, configs, lookups and errors."""

import json

import numpy as np
import pytest

import kbackend as K
from core import constraints, regularizers

RNG = np.random.default_rng(0)
W = RNG.standard_normal((5, 4)).astype(np.float32)
KERNEL = RNG.standard_normal((3, 3, 2, 4)).astype(np.float32)  # conv2d kernel
EPS = 1e-7  # K.epsilon() default


def npv(x):
    return np.asarray(K.convert_to_numpy(x), np.float64)


# --- regularizer values ---------------------------------------------------------------------------------------------

def ref_orthogonal(w, factor, mode):
    w = np.asarray(w, np.float64)
    vecs = w if mode == "rows" else w.T
    units = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    cos = units @ units.T
    n = len(vecs)
    off_diagonal = np.abs(cos).sum() - np.abs(np.diag(cos)).sum()
    return factor * 0.5 * off_diagonal / (n * (n - 1) / 2)


REGULARIZERS = [  # (regularizer, float64 reference of its penalty)
    (regularizers.L1(), lambda w: 0.01 * np.abs(w).sum()),
    (regularizers.L1(0.3), lambda w: 0.3 * np.abs(w).sum()),
    (regularizers.L2(), lambda w: 0.01 * np.square(w).sum()),
    (regularizers.L2(l2=0.25), lambda w: 0.25 * np.square(w).sum()),
    (regularizers.L1L2(l1=0.1, l2=0.2), lambda w: 0.1 * np.abs(w).sum() + 0.2 * np.square(w).sum()),
    (regularizers.L1L2(l2=0.2), lambda w: 0.2 * np.square(w).sum()),
    (regularizers.L1L2(), lambda w: 0.0),
    (regularizers.l1_l2(), lambda w: 0.01 * np.abs(w).sum() + 0.01 * np.square(w).sum()),
    (regularizers.OrthogonalRegularizer(), lambda w: ref_orthogonal(w, 0.01, "rows")),
    (regularizers.OrthogonalRegularizer(0.5, mode="columns"), lambda w: ref_orthogonal(w, 0.5, "columns")),
]
IDS = [f"{type(r).__name__}-{i}" for i, (r, _) in enumerate(REGULARIZERS)]


@pytest.mark.parametrize("reg,ref", REGULARIZERS, ids=IDS)
def test_regularizer_values(reg, ref):
    out = reg(K.convert_to_tensor(W))
    assert K.is_tensor(out) and tuple(K.int_shape(out)) == ()
    assert K.dtype(out) == "float32"
    np.testing.assert_allclose(npv(out), ref(W.astype(np.float64)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reg,ref", REGULARIZERS, ids=IDS)
def test_regularizers_on_variables_and_inside_jit(reg, ref):
    var = K.Variable(W)
    np.testing.assert_allclose(npv(reg(var)), ref(W.astype(np.float64)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(npv(K.jit(reg)(W)), ref(W.astype(np.float64)), rtol=1e-5, atol=1e-7)


def test_regularizers_and_constraints_read_scoped_variable_values():
    # the trainer calls them inside a StatelessScope: they must see the scoped value
    var = K.Variable(np.zeros_like(W))
    with K.StatelessScope({var: W}):
        np.testing.assert_allclose(npv(regularizers.L1L2(0.1, 0.2)(var)),
                                   0.1 * np.abs(W).sum() + 0.2 * np.square(W.astype(np.float64)).sum(), rtol=1e-5)
        np.testing.assert_allclose(npv(constraints.MaxNorm(1.0)(var)), ref_max_norm(W.astype(np.float64), 1.0, 0),
                                   rtol=1e-5, atol=1e-6)


def test_penalty_dtype_follows_the_weights():
    w64 = W.astype(np.float64)
    out = regularizers.L1L2(0.1, 0.2)(K.convert_to_tensor(w64))
    assert K.dtype(out) == "float64"
    np.testing.assert_allclose(npv(out), 0.1 * np.abs(w64).sum() + 0.2 * np.square(w64).sum(), rtol=1e-12)
    assert K.dtype(regularizers.L2()(K.convert_to_tensor(w64))) == "float64"


def test_penalty_gradients():
    var = K.Variable(W)
    (g,) = K.gradients(lambda: regularizers.L1L2(l1=0.1, l2=0.2)(var), [var])
    np.testing.assert_allclose(npv(g), 0.1 * np.sign(W) + 0.4 * W.astype(np.float64), rtol=1e-5, atol=1e-6)


def test_orthogonal_regularizer_is_zero_on_orthogonal_rows():
    q, _ = np.linalg.qr(RNG.standard_normal((6, 6)))
    w = (q[:4] * np.array([[1.0], [2.0], [3.0], [0.5]])).astype(np.float32)  # orthogonal rows, any lengths
    assert abs(float(npv(regularizers.OrthogonalRegularizer(1.0)(w)))) < 1e-6
    assert float(npv(regularizers.OrthogonalRegularizer(1.0, mode="columns")(w.T))) < 1e-6
    # parallel rows: all n(n-1) ordered pairs have |cosine| 1; halved and divided by the
    # n(n-1)/2 pairs, the penalty is the factor itself
    parallel = np.tile(np.array([[1.0, 2.0, -1.0]], np.float32), (3, 1)) * np.array([[1.0], [-2.0], [4.0]], np.float32)
    np.testing.assert_allclose(npv(regularizers.OrthogonalRegularizer(0.2)(parallel)), 0.2, rtol=1e-5)


def test_orthogonal_regularizer_needs_2d():
    with pytest.raises(ValueError, match=r"needs a 2-D weight; got shape \(3, 3, 2, 4\)"):
        regularizers.OrthogonalRegularizer()(KERNEL)


@pytest.mark.parametrize("make,match", [
    (lambda: regularizers.L1(-0.1), "L1: l1 must be a non-negative float"),
    (lambda: regularizers.L2(float("nan")), "L2: l2 must be a non-negative float"),
    (lambda: regularizers.L1L2(l1="0.1"), "L1L2: l1 must be a non-negative float"),
    (lambda: regularizers.OrthogonalRegularizer(-1.0), "factor must be a non-negative float"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), "mode must be 'rows' or 'columns'"),
])
def test_regularizer_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_keras2_keyword_and_none_defaults():
    assert regularizers.l2(l=0.5).get_config() == {"l2": 0.5}
    assert regularizers.l1(l=0.5).get_config() == {"l1": 0.5}
    assert regularizers.L1(None).get_config() == {"l1": 0.01}
    assert regularizers.L1L2(None, 0.3).get_config() == {"l1": 0.0, "l2": 0.3}
    with pytest.raises(TypeError, match=r"unexpected arguments \['l3'\]"):
        regularizers.L2(l3=0.1)


def test_base_regularizer():
    assert float(npv(regularizers.Regularizer()(W))) == 0.0
    with pytest.raises(NotImplementedError, match="must implement get_config"):
        regularizers.Regularizer().get_config()


# --- regularizer lookups and configs --------------------------------------------------------------------------------

@pytest.mark.parametrize("name,cls,config", [
    ("l1", "L1", {"l1": 0.01}), ("L1", "L1", {"l1": 0.01}),
    ("l2", "L2", {"l2": 0.01}), ("L2", "L2", {"l2": 0.01}),
    ("l1_l2", "L1L2", {"l1": 0.01, "l2": 0.01}),   # the string keeps Keras 2's 0.01 defaults
    ("L1L2", "L1L2", {"l1": 0.0, "l2": 0.0}),
    ("orthogonal_regularizer", "OrthogonalRegularizer", {"factor": 0.01, "mode": "rows"}),
])
def test_regularizer_string_lookup(name, cls, config):
    reg = regularizers.get(name)
    assert type(reg) is getattr(regularizers, cls) and reg.get_config() == config


@pytest.mark.parametrize("reg", [regularizers.L1(0.2), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.4),
                                 regularizers.OrthogonalRegularizer(0.7, "columns")], ids=lambda r: type(r).__name__)
def test_regularizer_config_round_trip(reg):
    config = reg.get_config()
    assert type(reg).from_config(config).get_config() == config
    blob = json.loads(json.dumps(regularizers.serialize(reg)))
    assert blob["class_name"] == type(reg).__name__
    for again in (regularizers.deserialize(blob), regularizers.get(blob)):
        assert type(again) is type(reg) and again.get_config() == config
    np.testing.assert_allclose(npv(regularizers.deserialize(blob)(W)), npv(reg(W)), rtol=1e-6)


def test_regularizer_keras2_configs():
    assert regularizers.deserialize({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.5}}).get_config() == {
        "l1": 0.0, "l2": 0.5}
    assert regularizers.deserialize({"class_name": "l1_l2", "config": {"l1": 0.2}}).get_config() == {
        "l1": 0.2, "l2": 0.01}
    assert regularizers.deserialize(regularizers.serialize(regularizers.l1_l2)).get_config() == {
        "l1": 0.01, "l2": 0.01}


def test_regularizer_get_passes_through():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.5)
    assert regularizers.get(reg) is reg

    def penalty(w):
        return K.sum(w)

    assert regularizers.get(penalty) is penalty
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1


def test_regularizer_unknown_names():
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        regularizers.get(0.01)


# --- constraint values ----------------------------------------------------------------------------------------------

def norms(w, axis):
    return np.sqrt(np.square(w).sum(axis=axis, keepdims=True))


def ref_max_norm(w, max_value, axis):
    n = norms(w, axis)
    return w * np.clip(n, 0, max_value) / (EPS + n)


def ref_min_max_norm(w, lo, hi, rate, axis):
    n = norms(w, axis)
    return w * (rate * np.clip(n, lo, hi) + (1 - rate) * n) / (EPS + n)


CONSTRAINTS = [  # (constraint, weights, float64 reference)
    (constraints.MaxNorm(), W, lambda w: ref_max_norm(w, 2, 0)),
    (constraints.MaxNorm(1.5, axis=1), W, lambda w: ref_max_norm(w, 1.5, 1)),
    (constraints.MaxNorm(1.0, axis=[0, 1, 2]), KERNEL, lambda w: ref_max_norm(w, 1.0, (0, 1, 2))),
    (constraints.NonNeg(), W, lambda w: np.where(w >= 0, w, 0.0)),
    (constraints.UnitNorm(), W, lambda w: w / (EPS + norms(w, 0))),
    (constraints.UnitNorm(axis=-1), KERNEL, lambda w: w / (EPS + norms(w, -1))),
    (constraints.MinMaxNorm(), W, lambda w: ref_min_max_norm(w, 0.0, 1.0, 1.0, 0)),
    (constraints.MinMaxNorm(2.5, 3.0, rate=0.5, axis=1), W, lambda w: ref_min_max_norm(w, 2.5, 3.0, 0.5, 1)),
    (constraints.Constraint(), W, lambda w: w),
]
CIDS = [f"{type(c).__name__}-{i}" for i, (c, _, _) in enumerate(CONSTRAINTS)]


@pytest.mark.parametrize("con,w,ref", CONSTRAINTS, ids=CIDS)
def test_constraint_values(con, w, ref):
    expected = ref(w.astype(np.float64))
    out = con(K.convert_to_tensor(w))
    assert tuple(K.int_shape(out)) == w.shape and K.dtype(out) == "float32"
    np.testing.assert_allclose(npv(out), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(con(K.Variable(w))), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npv(K.jit(con)(w)), expected, rtol=1e-5, atol=1e-6)


def test_constraints_reach_their_bounds():
    big = 10.0 * W
    np.testing.assert_allclose(norms(npv(constraints.MaxNorm(2.0)(big)), 0), 2.0, rtol=1e-5)
    small = 0.01 * W  # norms below max_value stay as they are
    np.testing.assert_allclose(npv(constraints.MaxNorm(2.0)(small)), small, rtol=1e-4)
    np.testing.assert_allclose(norms(npv(constraints.UnitNorm(axis=1)(big)), 1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(norms(npv(constraints.MinMaxNorm(3.0, 4.0)(small)), 0), 3.0, rtol=1e-5)
    assert npv(constraints.NonNeg()(W)).min() >= 0.0


def test_constraint_float64_weights():
    w64 = W.astype(np.float64)
    out = constraints.MaxNorm(1.0)(K.convert_to_tensor(w64))
    assert K.dtype(out) == "float64"
    np.testing.assert_allclose(npv(out), ref_max_norm(w64, 1.0, 0), rtol=1e-12)


# --- constraint lookups and configs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name,cls", [
    ("max_norm", "MaxNorm"), ("maxnorm", "MaxNorm"), ("MaxNorm", "MaxNorm"),
    ("non_neg", "NonNeg"), ("nonneg", "NonNeg"), ("NonNeg", "NonNeg"),
    ("unit_norm", "UnitNorm"), ("unitnorm", "UnitNorm"), ("UnitNorm", "UnitNorm"),
    ("min_max_norm", "MinMaxNorm"), ("MinMaxNorm", "MinMaxNorm"),
])
def test_constraint_string_lookup_and_aliases(name, cls):
    assert type(constraints.get(name)) is getattr(constraints, cls)
    assert getattr(constraints, name) is getattr(constraints, cls)


def test_constraint_defaults():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.NonNeg().get_config() == {}


@pytest.mark.parametrize("con", [constraints.MaxNorm(3.0, axis=[0, 1, 2]), constraints.NonNeg(),
                                 constraints.UnitNorm(axis=1), constraints.MinMaxNorm(0.5, 2.0, 0.3, axis=1)],
                         ids=lambda c: type(c).__name__)
def test_constraint_config_round_trip(con):
    config = con.get_config()
    assert type(con).from_config(config).get_config() == config
    blob = json.loads(json.dumps(constraints.serialize(con)))
    assert blob["class_name"] == type(con).__name__
    again = constraints.deserialize(blob)
    assert type(again) is type(con) and again.get_config() == json.loads(json.dumps(config))
    w = KERNEL if isinstance(con, constraints.MaxNorm) else W
    np.testing.assert_allclose(npv(again(w)), npv(con(w)), rtol=1e-6)


def test_constraint_get_passes_through():
    assert constraints.get(None) is None
    con = constraints.NonNeg()
    assert constraints.get(con) is con

    def clip(w):
        return K.clip(w, -1.0, 1.0)

    assert constraints.get(clip) is clip
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 4, "axis": 1}}).get_config() == {
        "max_value": 4, "axis": 1}


def test_constraint_unknown_names():
    with pytest.raises(ValueError, match="Unknown constraint: 'max_nrom'"):
        constraints.get("max_nrom")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
        constraints.get(2)
