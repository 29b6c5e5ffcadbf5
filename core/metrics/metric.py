"""The Metric base class: state held in non-trainable Variables.

A metric's state changes only through `Variable.assign*` and its result is
computed with kbackend ops, so the same code runs eagerly, inside compiled
steps (jax.jit, tf.function) and under a `kbackend.StatelessScope`, where the
trainer supplies the values and collects the assignments.
"""

import itertools
import re

import numpy as np

import kbackend as K
from kbackend import dtypes

_AGGREGATIONS = ("sum", "mean", "only_first_replica", "none", None)
# a global creation counter, so `variables` lists sub-metric state in the order it was made
_order = itertools.count()


def snake_case(name):
    """A class name as a default metric name: MeanSquaredError -> mean_squared_error, AUC -> auc."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Metric:
    """Subclasses create state with `add_variable` in `__init__`, and define
    `update_state(...)` and `result()`."""

    def __init__(self, name=None, dtype=None):
        self.__dict__["_state"] = []      # [(order, variable, initial value)]
        self.__dict__["_sub_metrics"] = []
        self.name = name or snake_case(type(self).__name__)
        self._dtype = dtypes.standardize_dtype(dtype)

    def __setattr__(self, name, value):
        subs = self.__dict__.get("_sub_metrics")
        if isinstance(value, Metric) and subs is not None and not any(value is m for m in subs):
            subs.append(value)
        super().__setattr__(name, value)

    @property
    def dtype(self):
        return self._dtype

    # -- state ---------------------------------------------------------------
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A new non-trainable state Variable, reset to its initial value by `reset_state`.

        initializer: "zeros", "ones", or a callable taking the shape and
        returning the initial array.
        """
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {_AGGREGATIONS}; got {aggregation!r}.")
        shape = tuple(int(d) for d in shape)
        dtype = dtypes.standardize_dtype(dtype or self._dtype)
        initial = _initial_value(initializer, shape)
        variable = K.Variable(initial, dtype=dtype, name=name, trainable=False)
        variable.aggregation = aggregation
        self._state.append((next(_order), variable, initial))
        return variable

    def add_weight(self, name=None, shape=(), aggregation="sum", synchronization=None, initializer="zeros",
                   dtype=None):
        """Keras 2's spelling of `add_variable` (synchronization is accepted and ignored)."""
        return self.add_variable(shape, initializer=initializer or "zeros", dtype=dtype, aggregation=aggregation,
                                 name=name)

    def _all_state(self):
        entries = list(self._state)
        for sub in self._sub_metrics:
            entries.extend(sub._all_state())
        return entries

    @property
    def variables(self):
        """Every state Variable, sub-metrics' included, in creation order."""
        seen, out = set(), []
        for _, variable, _ in sorted(self._all_state(), key=lambda entry: entry[0]):
            if id(variable) not in seen:
                seen.add(id(variable))
                out.append(variable)
        return out

    def reset_state(self):
        """Put every state Variable back to its initial value."""
        for _, variable, initial in self._state:
            variable.assign(initial)
        for sub in self._sub_metrics:
            sub.reset_state()

    def reset_states(self):
        """Keras 2's name for `reset_state`."""
        self.reset_state()

    # -- the metric ----------------------------------------------------------
    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define update_state(...).")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must define result().")

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    # -- the same, on explicit state values (Keras 3's stateless API) ---------
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """New values for `self.variables` after update_state, the Variables untouched."""
        variables = self.variables
        _check_state_values(self, variables, metric_variables)
        with K.StatelessScope(dict(zip(variables, metric_variables))) as scope:
            self.update_state(*args, **kwargs)
        assigned = {id(v): value for v, value in scope.assignments()}
        return [assigned.get(id(v), value) for v, value in zip(variables, metric_variables)]

    def stateless_result(self, metric_variables):
        variables = self.variables
        _check_state_values(self, variables, metric_variables)
        with K.StatelessScope(dict(zip(variables, metric_variables))):
            return self.result()

    def stateless_reset_state(self):
        """The initial values of `self.variables`, the Variables untouched."""
        with K.StatelessScope() as scope:
            self.reset_state()
        assigned = {id(v): value for v, value in scope.assignments()}
        return [assigned[id(v)] for v in self.variables]

    # -- config --------------------------------------------------------------
    def get_config(self):
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _initial_value(initializer, shape):
    if isinstance(initializer, str):
        fills = {"zeros": 0, "ones": 1}
        if initializer not in fills:
            raise ValueError(f"Metric state initializer must be 'zeros', 'ones' or a callable taking the shape; "
                             f"got {initializer!r}.")
        return np.full(shape, fills[initializer])  # the Variable casts it to its dtype
    if callable(initializer):
        return initializer(shape)
    raise TypeError(f"Metric state initializer must be 'zeros', 'ones' or a callable; got "
                    f"{type(initializer).__name__}.")


def _check_state_values(metric, variables, values):
    if len(values) != len(variables):
        raise ValueError(f"{metric.name} has {len(variables)} state variables; got {len(values)} values "
                         "(pass one value per entry of metric.variables, in that order).")
