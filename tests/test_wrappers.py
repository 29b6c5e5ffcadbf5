"""KerasClassifier / KerasRegressor as scikit-learn estimators on iris and diabetes."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import core  # noqa: E402
from core.utils import set_random_seed  # noqa: E402
from core.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402

NAMES = np.array(["setosa", "versicolor", "virginica"])


def _iris():
    x, y = load_iris(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    return x.astype("float32"), y


def build_classifier(hidden=8, lr=0.05, loss="sparse_categorical_crossentropy"):
    model = core.Sequential([core.layers.Dense(hidden, activation="relu", input_shape=(4,)),
                             core.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=core.optimizers.Adam(lr), loss=loss)
    return model


def test_classifier_with_string_labels_in_a_pipeline():
    set_random_seed(0)
    x, y = load_iris(return_X_y=True)
    labels = NAMES[y]
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", KerasClassifier(build_fn=build_classifier, epochs=40, batch_size=16, verbose=0))])
    pipe.fit(x, labels)
    pred = pipe.predict(x)
    assert pred.dtype.kind == "U" and set(pred) <= set(NAMES)
    assert pipe.score(x, labels) == accuracy_score(labels, pred)
    assert pipe.score(x, labels) > 0.9
    proba = pipe.predict_proba(x)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(NAMES[proba.argmax(1)], pred)


def test_params_clone_and_legality():
    clf = KerasClassifier(build_fn=build_classifier, hidden=4, epochs=2, verbose=0)
    assert is_classifier(clf)
    assert clf.get_params() == {"build_fn": build_classifier, "hidden": 4, "epochs": 2, "verbose": 0}
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert twin.set_params(hidden=16) is twin and twin.sk_params["hidden"] == 16 and clf.sk_params["hidden"] == 4
    with pytest.raises(ValueError, match="'wings' is not a legal parameter"):
        KerasClassifier(build_fn=build_classifier, wings=2)
    with pytest.raises(ValueError, match="legal"):
        clf.set_params(wings=2)
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.predict(np.zeros((1, 4)))


def test_grid_search_picks_the_learning_rate_that_learns():
    set_random_seed(1)
    x, y = _iris()
    clf = KerasClassifier(build_fn=build_classifier, epochs=15, batch_size=16, verbose=0)
    search = GridSearchCV(clf, {"lr": [1e-7, 0.05]}, cv=3)
    search.fit(x, y)
    assert search.best_params_ == {"lr": 0.05}
    assert search.cv_results_["mean_test_score"][1] > 0.8
    assert search.cv_results_["mean_test_score"][0] < search.cv_results_["mean_test_score"][1]


def test_cross_val_score_and_one_hot_targets():
    set_random_seed(2)
    x, y = _iris()
    clf = KerasClassifier(build_fn=build_classifier, loss="categorical_crossentropy", epochs=25, batch_size=16,
                          verbose=0)
    rng = np.random.default_rng(0)
    order = rng.permutation(150)
    scores = cross_val_score(clf, x[order], y[order], cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    onehot = np.eye(3)[y]
    clf.fit(x, onehot)  # one-hot targets: classes_ are the column indexes
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.score(x, onehot) > 0.8


class BinaryBuilder:
    """A callable object as build_fn (its __call__'s arguments are sk_params)."""

    def __call__(self, units=1):
        model = core.Sequential([core.layers.Dense(units, activation="sigmoid", input_shape=(4,))])
        model.compile(optimizer=core.optimizers.Adam(0.1), loss="binary_crossentropy")
        return model


def test_single_sigmoid_output_gives_two_probability_columns():
    set_random_seed(3)
    x, y = _iris()
    labels = np.where(y == 0, "setosa", "other")
    clf = KerasClassifier(build_fn=BinaryBuilder(), epochs=20, batch_size=16, verbose=0)
    clf.fit(x, labels)
    proba = clf.predict_proba(x)
    raw = np.asarray(clf.model.predict(x, verbose=0)).reshape(-1)
    np.testing.assert_allclose(proba, np.stack([1 - raw, raw], 1), rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_, ["other", "setosa"])
    np.testing.assert_array_equal(clf.predict(x), np.where(raw > 0.5, "setosa", "other"))
    assert clf.score(x, labels) > 0.95


class LinearRegressor(KerasRegressor):
    """build_fn=None: the subclass's __call__ builds the model."""

    def __call__(self, lr=0.05):
        model = core.Sequential([core.layers.Dense(1, input_shape=(10,))])
        model.compile(optimizer=core.optimizers.Adam(lr), loss="mse")
        return model


def test_regressor_r2_on_diabetes():
    set_random_seed(4)
    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    reg = LinearRegressor(epochs=40, batch_size=32, verbose=0)
    assert is_regressor(reg)
    reg.fit(x, y)
    pred = reg.predict(x)
    assert pred.shape == (442,)
    assert reg.score(x, y) == pytest.approx(r2_score(y, pred), rel=1e-6)
    # ordinary least squares reaches R^2 = 0.518 on the training set; a trained linear model gets close
    assert reg.score(x, y) > 0.45
    weights = np.linspace(0.5, 2, 442)
    assert reg.score(x, y, sample_weight=weights) == pytest.approx(r2_score(y, pred, sample_weight=weights), rel=1e-6)
    scores = cross_val_score(clone(reg), x, y, cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.3)


def test_regressor_function_build_fn_and_missing_build_fn():
    set_random_seed(5)

    def build(units=1):
        model = core.Sequential([core.layers.Dense(units, input_shape=(2,))])
        model.compile(optimizer=core.optimizers.SGD(0.1), loss="mse")
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x @ np.array([2.0, -1.0]) + 0.5).astype("float32")
    reg = KerasRegressor(build_fn=build, epochs=60, batch_size=16, verbose=0).fit(x, y)
    np.testing.assert_allclose(reg.predict(x), y, atol=0.05)
    with pytest.raises(ValueError, match="needs build_fn"):
        KerasRegressor(epochs=1).fit(x, y)
