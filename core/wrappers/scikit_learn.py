"""KerasClassifier / KerasRegressor: scikit-learn estimators around a model-building function.

As in Keras 2, `build_fn` returns a compiled model, and every other constructor
argument (the "sk_params") goes wherever its name fits: to build_fn, or to the
model's fit, predict or evaluate when those accept it. The objects are real
scikit-learn estimators (get_params/set_params, clone, GridSearchCV,
cross_val_score, Pipeline).

score: the classifier returns accuracy and the regressor the coefficient of
determination R^2, i.e. scikit-learn's meanings, so a grid search ranks candidates
the way scikit-learn users expect. (Keras 2 returned the model's first metric for
the classifier and minus the loss for the regressor.)
"""

import copy
import inspect

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("core.wrappers.scikit_learn needs scikit-learn: pip install scikit-learn") from e

from ..utils.numerical_utils import to_categorical

_LEGACY_FIT_NAMES = ("nb_epoch",)


def _model_method_params(name):
    from ..models import Sequential

    return [p for p in inspect.signature(getattr(Sequential, name)).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "x", "y")]


def _named(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set(), False
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


class BaseWrapper(BaseEstimator):
    """Shared machinery: sk_params routing, model building, get/set_params."""

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    # -- sk_params ---------------------------------------------------------------------------------
    def _build_target(self):
        if self.build_fn is None:
            if not callable(self):
                raise ValueError(f"{type(self).__name__} needs build_fn, or a subclass defining "
                                 "__call__(self, ...) that returns a compiled model.")
            return self.__call__
        if not callable(self.build_fn):
            raise TypeError(f"build_fn must be a function or an object with __call__; got {self.build_fn!r}.")
        return self.build_fn

    def check_params(self, params):
        """Refuse sk_params that neither build_fn nor the model's fit/predict/evaluate accept."""
        legal = set(_LEGACY_FIT_NAMES)
        for method in ("fit", "predict", "evaluate"):
            legal.update(p.name for p in _model_method_params(method))
        has_target = self.build_fn is not None or callable(self)
        names, takes_any = _named(self._build_target()) if has_target else (set(), False)
        if takes_any:
            return
        legal |= names
        for name in params:
            if name not in legal:
                raise ValueError(f"{name!r} is not a legal parameter of {type(self).__name__}: it is taken neither "
                                 "by build_fn nor by the model's fit, predict or evaluate. Add it to build_fn's "
                                 "arguments or remove it.")

    def get_params(self, deep=True):
        """The constructor's arguments: build_fn plus every sk_param."""
        params = dict(self.sk_params)
        params["build_fn"] = self.build_fn
        return params

    def set_params(self, **params):
        """Update sk_params (and build_fn); returns self so calls chain."""
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The sk_params that `fn` takes by name, updated with `override`."""
        names, _ = _named(fn)
        out = {k: v for k, v in self.sk_params.items() if k in names}
        out.update(override or {})
        return out

    def _method_args(self, method, override):
        names = {p.name for p in _model_method_params(method)}
        if method == "fit":
            names |= set(_LEGACY_FIT_NAMES)
        out = {k: v for k, v in self.sk_params.items() if k in names}
        out.update(override or {})
        return out

    # -- fitting -----------------------------------------------------------------------------------
    def _build_model(self):
        target = self._build_target()
        names, takes_any = _named(target)
        fit_like = {p.name for m in ("fit", "predict", "evaluate") for p in _model_method_params(m)}
        if takes_any:
            kwargs = {k: v for k, v in self.sk_params.items() if k in names or k not in fit_like}
        else:
            kwargs = {k: v for k, v in self.sk_params.items() if k in names}
        model = target(**kwargs)
        if not hasattr(model, "fit") or not hasattr(model, "predict"):
            raise TypeError(f"build_fn must return a compiled model; it returned {type(model).__name__}.")
        return model

    def _fit_model(self, x, y, **kwargs):
        self.model = self._build_model()
        self.history = self.model.fit(x, y, **self._method_args("fit", kwargs))
        return self.history

    def _predict_raw(self, x, **kwargs):
        if getattr(self, "model", None) is None:
            raise RuntimeError(f"This {type(self).__name__} is not fitted yet; call fit(x, y) first.")
        return np.asarray(self.model.predict(np.asarray(x), **self._method_args("predict", kwargs)))

    def __sklearn_clone__(self):
        # A fresh, unfitted estimator with the same arguments (sk_params copied, not shared).
        return type(self)(build_fn=self.build_fn, **copy.deepcopy(self.sk_params))


def _loss_name(model):
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss
    return getattr(loss, "__name__", None) or getattr(loss, "name", None)


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A scikit-learn classifier whose model comes from build_fn.

    Labels may be of any type (ints, strings, ...): they are encoded as 0..n-1 in
    sorted order (`classes_`) for the model and decoded back by predict. A model with
    one sigmoid output is treated as binary. With loss "categorical_crossentropy" the
    targets are one-hot encoded; one-hot targets given to fit are accepted too.
    """

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Build a fresh model and train it on (x, y); other kwargs go to model.fit."""
        x = np.asarray(x)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
            encoded = np.argmax(y, axis=1)
        elif y.ndim <= 2:
            y = y.reshape(-1)
            self.classes_, encoded = np.unique(y, return_inverse=True)
        else:
            raise ValueError(f"KerasClassifier.fit needs labels of shape (n,) or one-hot (n, classes); got {y.shape}.")
        self.n_classes_ = len(self.classes_)
        self.model = self._build_model()
        targets = encoded
        loss = _loss_name(self.model)
        if loss in ("categorical_crossentropy", "CategoricalCrossentropy") or (y.ndim == 2 and y.shape[1] > 1):
            targets = to_categorical(encoded, max(self.n_classes_, 2))
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight)
        self.history = self.model.fit(x, targets, **self._method_args("fit", kwargs))
        return self

    def predict_proba(self, x, **kwargs):
        """Class probabilities (n, n_classes); one sigmoid output gives [1 - p, p]."""
        probs = self._predict_raw(x, **kwargs)
        if probs.ndim == 1:
            probs = probs[:, None]
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def predict(self, x, **kwargs):
        """Predicted labels, in the type the labels had in fit."""
        probs = self._predict_raw(x, **kwargs)
        if probs.ndim == 2 and probs.shape[1] > 1:
            index = probs.argmax(axis=-1)
        else:
            index = (probs.reshape(-1) > 0.5).astype("int64")
        return self.classes_[index]

    def score(self, x, y, sample_weight=None, **kwargs):
        """Accuracy of predict(x) against y (weighted by sample_weight)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            y = self.classes_[np.argmax(y, axis=1)]
        hits = (self.predict(x, **kwargs) == y.reshape(-1)).astype("float64")
        return float(np.average(hits, weights=sample_weight))


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A scikit-learn regressor whose model comes from build_fn. score is R^2."""

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Build a fresh model and train it on (x, y); other kwargs go to model.fit."""
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight)
        self._fit_model(np.asarray(x), np.asarray(y), **kwargs)
        return self

    def predict(self, x, **kwargs):
        """Model outputs; a single output column is flattened to shape (n,)."""
        out = self._predict_raw(x, **kwargs)
        return out.reshape(-1) if out.ndim == 2 and out.shape[1] == 1 else out

    def score(self, x, y, sample_weight=None, **kwargs):
        """Coefficient of determination R^2 of predict(x) (1 is perfect)."""
        y = np.asarray(y, dtype="float64")
        pred = np.asarray(self.predict(x, **kwargs), dtype="float64").reshape(y.shape)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype="float64")
        w = w.reshape((-1,) + (1,) * (y.ndim - 1))
        resid = (w * (y - pred) ** 2).sum(axis=0)
        total = (w * (y - np.average(y, axis=0, weights=w.reshape(-1))) ** 2).sum(axis=0)
        r2 = np.where(total > 0, 1 - resid / np.where(total > 0, total, 1), 0.0)
        return float(np.mean(r2))
