"""The Optimizer base class.

All optimizer state lives in `K.Variable`s listed by `optimizer.variables`
(iterations, the learning-rate variable, then the slots in creation order),
and updates change it only through `assign` / `assign_add` / `assign_sub`
with K ops. The same `apply` therefore runs eagerly, under a StatelessScope
(assignments are recorded, not made) and inside jax.jit / tf.function.
"""

import re
import warnings

import numpy as np

import kbackend as K
from core.saving import serialization

from . import clipping, schedules

# keys Keras 2 wrote into optimizer configs that mean nothing here
_IGNORED_CONFIG_KEYS = ("is_legacy_optimizer", "jit_compile")


class Optimizer:
    """Subclasses set their hyperparameters in `__init__`, create slots in
    `build(var_list)` (calling `super().build(var_list)` first) and implement
    `update_step(gradient, variable, learning_rate)`."""

    _keeps_old_values = False  # True while an update's inputs stay in use (kernels must not update in place)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        learning_rate, self.decay = _legacy_arguments(type(self).__name__, learning_rate, kwargs)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"Only one of `clipnorm` and `global_clipnorm` can be set; got clipnorm={clipnorm}, "
                             f"global_clipnorm={global_clipnorm}.")
        if gradient_accumulation_steps is not None and (
                not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2):
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2 (or None); got "
                             f"gradient_accumulation_steps={gradient_accumulation_steps!r}.")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in [0, 1]; got ema_momentum={ema_momentum}.")
            if ema_overwrite_frequency is not None and (
                    not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None; got "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency!r}.")
        self.name = name or _snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._index = {}  # id(model variable) -> its position in the built list
        self._excluded_ids = set()
        self._excluded_pattern = None
        self._iterations = self._track(K.Variable(0, dtype="int64", name="iteration", trainable=False))
        self._learning_rate_variable = None
        self._learning_rate = None
        self.learning_rate = learning_rate

    # -- state ----------------------------------------------------------------
    @property
    def iterations(self):
        """The number of `apply` calls so far (a Variable)."""
        return self._iterations

    @property
    def variables(self):
        """All the optimizer's state, in a fixed order."""
        return list(self._variables)

    def _track(self, variable):
        self._variables.append(variable)
        return variable

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A new state Variable (not trainable) of `shape`, tracked in `variables`."""
        dtype = dtype or K.floatx()
        value = _initial_value(initializer, tuple(shape), dtype)
        return self._track(K.Variable(value, dtype=dtype, name=name, trainable=False))

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A state Variable with the shape and dtype of a model variable."""
        prefix = str(reference_variable.name).replace("/", "_").replace(":", "_")
        return self.add_variable(reference_variable.shape, initializer=initializer, dtype=reference_variable.dtype,
                                 name=f"{prefix}_{name or 'var'}")

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per model variable (a list); with a list of names, one list per
        name, created variable by variable (all of a variable's slots together, the
        order Keras 3 saves them in)."""
        if isinstance(name, str):
            return [self.add_variable_from_reference(v, name, initializer) for v in trainable_variables]
        slots = tuple([] for _ in name)
        for variable in trainable_variables:
            for n, slot in zip(name, slots):
                slot.append(self.add_variable_from_reference(variable, n, initializer))
        return slots

    def build(self, var_list):
        """Create the slots for the model variables `var_list` (once)."""
        if self.built:
            return
        var_list = list(var_list)
        self._trainable_variables = var_list
        self._index = {id(v): i for i, v in enumerate(var_list)}
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(var_list, "gradient_accumulator")
        self.built = True

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    def _update_count(self):
        """Updates done so far: iterations, or iterations // gradient_accumulation_steps."""
        if self.gradient_accumulation_steps:
            return K.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _local_step(self, dtype):
        """The 1-based number of the update being made, as `dtype` (Adam's t)."""
        return K.cast(K.add(self._update_count(), 1), dtype)

    # -- learning rate ----------------------------------------------------------
    @property
    def learning_rate(self):
        """The rate the next update uses. For a float rate, the Variable
        holding it (so `K.set_value(opt.learning_rate, x)` and `.assign` work)."""
        lr = self._learning_rate
        if isinstance(lr, K.Variable):
            value = lr
        elif isinstance(lr, schedules.LearningRateSchedule):
            value = lr(self._iterations)
        else:  # a function of no arguments
            value = lr()
        if self.decay:
            value = K.divide(value, K.add(1.0, K.multiply(self.decay, K.cast(self._iterations, K.floatx()))))
        return value

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or (callable(value) and not K.is_variable(value)):
            self._learning_rate = value
            return
        if self._learning_rate_variable is None:
            if self._learning_rate is not None:
                raise TypeError(f"Optimizer '{self.name}' was created with a learning-rate schedule, so it has no "
                                "learning-rate variable to set. Create it with a float learning_rate to change the "
                                "rate between steps, or set another schedule.")
            self._learning_rate_variable = self._track(
                K.Variable(_float_learning_rate(value), dtype=K.floatx(), name="learning_rate", trainable=False))
        else:
            self._learning_rate_variable.assign(_float_learning_rate(value))
        self._learning_rate = self._learning_rate_variable

    @property
    def lr(self):
        warnings.warn("`optimizer.lr` is deprecated; use `optimizer.learning_rate`.", DeprecationWarning, stacklevel=2)
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        warnings.warn("`optimizer.lr` is deprecated; use `optimizer.learning_rate`.", DeprecationWarning, stacklevel=2)
        self.learning_rate = value

    def _current_learning_rate(self):
        lr = self.learning_rate
        return lr.value if isinstance(lr, K.Variable) else lr

    # -- updates ---------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        """Update `variable` and its slots from `gradient` (cast to the variable's dtype)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable, "
                                  "learning_rate).")

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        experimental_aggregate_gradients=True):
        """Apply (gradient, variable) pairs; returns `iterations`. The last
        three arguments are accepted for tf.keras code and have no effect
        (there is no cross-device aggregation)."""
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads, trainable_variables=None):
        """One update of `trainable_variables` (default: those the optimizer
        was built with) from `grads`; None gradients are skipped."""
        grads = list(grads)
        if not grads:  # nothing to do (as Keras)
            return self._iterations
        if trainable_variables is None:
            if not self.built:
                raise ValueError("apply(grads) without trainable_variables needs a built optimizer: call "
                                 "optimizer.build(variables) first, or pass trainable_variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(trainable_variables)} variables; "
                             "pass one gradient (or None) per variable.")
        for v in trainable_variables:
            if id(v) not in self._index:
                raise ValueError(f"Unknown variable {v!r}: optimizer '{self.name}' was built for other variables. "
                                 "Use a new optimizer for a new set of variables.")
        missing = [v.name for g, v in zip(grads, trainable_variables) if g is None]
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable (all gradients are None).")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing}; they are left unchanged. Does the loss "
                          "depend on them?", stacklevel=2)
        variables = [v for _, v in pairs]
        grads = [K.cast(g, v.dtype) for g, v in pairs]
        if self.loss_scale_factor is not None:
            grads = [K.divide(g, self.loss_scale_factor) for g in grads]
        if self.gradient_accumulation_steps:
            self._accumulate_or_update(grads, variables)
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_averages()
        self._iterations.assign_add(1)
        for v in variables:
            if getattr(v, "constraint", None) is not None:
                v.assign(v.constraint(v.value))
        return self._iterations

    def _update(self, grads, variables):
        # clipvalue applies first and may be combined with a norm clip (as in Keras 2)
        if self.clipvalue:
            grads = clipping.clip_by_value(grads, self.clipvalue)
        if self.clipnorm:
            grads = clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm:
            grads = clipping.clip_by_global_norm(grads, self.global_clipnorm)
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate)
        self._backend_update_step(grads, variables, learning_rate)

    def _backend_update_step(self, grads, variables, learning_rate):
        """Per-variable `update_step`s; a subclass with per-step shared state overrides this."""
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def _accumulate_or_update(self, grads, variables):
        """Every gradient_accumulation_steps-th call updates with the mean of the
        gradients since the last update; the other calls only add them up."""
        steps = self.gradient_accumulation_steps
        is_update = K.equal(K.mod(K.add(self._iterations, 1), steps), 0)
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)] for v in variables]
        summed = {id(a): K.add(a.value, g) for a, g in zip(accumulators, grads)}
        # run the update in a scope of its own, then keep its results only on update steps
        # (the old values stay in use: no update may overwrite them in place)
        with K.StatelessScope() as trial:
            self._keeps_old_values = True
            try:
                self._update([K.divide(summed[id(a)], steps) for a in accumulators], variables)
            finally:
                self._keeps_old_values = False
            for a in accumulators:
                a.assign(K.zeros_like(a.value))
        for var, new in trial.assignments():
            var.assign(K.where(is_update, new, summed.get(id(var), var.value)))

    def _apply_weight_decay(self, variables, learning_rate):
        """Decoupled weight decay: variable -= variable * weight_decay * learning_rate."""
        if self.weight_decay is None:
            return
        for v in variables:
            if self._use_weight_decay(v):
                factor = K.multiply(K.cast(learning_rate, v.dtype), self.weight_decay)
                v.assign(K.subtract(v.value, K.multiply(v.value, factor)))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave out of weight decay the variables in var_list and those whose
        name contains (as a regular expression) any of var_names."""
        self._excluded_ids = {id(v) for v in var_list or ()}
        self._excluded_pattern = re.compile("|".join(var_names)) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._excluded_ids:
            return False
        return self._excluded_pattern is None or self._excluded_pattern.search(variable.name) is None

    def _update_moving_averages(self):
        count = self._update_count()
        for var, average in zip(self._trainable_variables, self._model_variables_moving_average):
            # the first update starts the average at the variable itself
            momentum = K.multiply(K.cast(K.not_equal(count, 0), var.dtype), self.ema_momentum)
            average.assign(K.add(K.multiply(momentum, average.value), K.multiply(K.subtract(1.0, momentum), var.value)))
        if self.ema_overwrite_frequency:
            overwrite = K.equal(K.mod(K.add(count, 1), self.ema_overwrite_frequency), 0)
            for var, average in zip(self._trainable_variables, self._model_variables_moving_average):
                var.assign(K.where(overwrite, average.value, var.value))

    def finalize_variable_values(self, var_list):
        """With use_ema, give the model variables their moving averages (fit does this at the end)."""
        if self.use_ema:
            for var, average in zip(var_list, self._model_variables_moving_average):
                var.assign(average.value)

    def minimize(self, loss, var_list):
        """One update of var_list down the gradient of loss, a function of no
        arguments returning a scalar; var_list may also be such a function."""
        if not callable(loss):
            raise TypeError(f"minimize needs the loss as a function of no arguments, not a {type(loss).__name__}: "
                            "write optimizer.minimize(lambda: loss_value(...), var_list) so that it can be "
                            "differentiated on every engine.")
        var_list = list(var_list() if callable(var_list) else var_list)
        return self.apply(K.gradients(loss, var_list), var_list)

    def scale_loss(self, loss):
        """loss * loss_scale_factor (gradients are divided by it again in apply)."""
        return loss if self.loss_scale_factor is None else K.multiply(loss, self.loss_scale_factor)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """apply on given values instead of the Variables: returns the new
        (trainable variable values, optimizer variable values), in the orders of
        the built variable list and of `variables`."""
        if not self.built:
            raise ValueError(f"stateless_apply needs a built optimizer: call {type(self).__name__}.build(variables) "
                             "first.")
        if len(optimizer_variables) != len(self._variables) or len(trainable_variables) != len(
                self._trainable_variables):
            raise ValueError(f"stateless_apply expects {len(self._variables)} optimizer values and "
                             f"{len(self._trainable_variables)} variable values; got {len(optimizer_variables)} and "
                             f"{len(trainable_variables)}.")
        mapping = list(zip(self._trainable_variables, trainable_variables)) + list(
            zip(self._variables, optimizer_variables))
        with K.StatelessScope(mapping):
            self.apply(grads)
            return ([v.value for v in self._trainable_variables], [v.value for v in self._variables])

    # -- saving ------------------------------------------------------------------
    def save_own_variables(self, store):
        for i, v in enumerate(self._variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self._variables):
            warnings.warn(f"Not loading the state of optimizer '{self.name}': it has {len(self._variables)} "
                          f"variables but the saved one has {len(store.keys())}"
                          + ("" if self.built else " (build the optimizer before loading its state)") + ".",
                          stacklevel=2)
            return
        for i, v in enumerate(self._variables):
            v.assign(store[str(i)])

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, K.Variable):
            lr = float(lr.numpy())
        else:
            lr = serialization.serialize_keras_object(lr)
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                  "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "loss_scale_factor": self.loss_scale_factor,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from get_config(); Keras 2 configs (`lr`, `decay`) load
        without deprecation warnings."""
        config = {k: v for k, v in config.items() if k not in _IGNORED_CONFIG_KEYS}
        if "lr" in config:
            lr = config.pop("lr")
            config.setdefault("learning_rate", lr)
        decay = config.pop("decay", 0.0) or 0.0
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules.deserialize(lr, custom_objects)
        elif isinstance(lr, str):
            config["learning_rate"] = serialization.deserialize_keras_object(
                lr, custom_objects=custom_objects, kind="learning rate function")
        optimizer = cls(**config)
        optimizer.decay = _check_decay(decay)
        return optimizer

    def __repr__(self):
        return f"<{type(self).__name__} name='{self.name}'>"


def _legacy_arguments(class_name, learning_rate, kwargs):
    """Keras 2's `lr=` and `decay=`: (learning_rate, decay). Anything else unknown is a TypeError."""
    if "lr" in kwargs:
        warnings.warn(f"{class_name}(lr=...) is deprecated; use {class_name}(learning_rate=...).",
                      DeprecationWarning, stacklevel=4)
        learning_rate = kwargs.pop("lr")
    decay = 0.0
    if "decay" in kwargs:
        decay = _check_decay(kwargs.pop("decay"))
        warnings.warn(f"{class_name}(decay=...) is deprecated; use learning_rate=core.optimizers.schedules."
                      "InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay), the same "
                      "learning_rate / (1 + decay * iterations).", DeprecationWarning, stacklevel=4)
    if kwargs:
        raise TypeError(f"{class_name} got unexpected keyword argument(s) {sorted(kwargs)}.")
    return learning_rate, decay


def _check_decay(decay):
    decay = float(decay)
    if decay < 0:
        raise ValueError(f"`decay` must be >= 0; got decay={decay}.")
    return decay


def _float_learning_rate(value):
    """A Python float from a number, a 0-d array or a Variable's value."""
    if K.is_variable(value):
        value = value.numpy()
    elif K.is_tensor(value):
        value = K.convert_to_numpy(value)
    if isinstance(value, (bool, str)) or np.ndim(value) != 0:
        raise TypeError("learning_rate must be a float, a LearningRateSchedule or a function of no arguments; "
                        f"got {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError("learning_rate must be a float, a LearningRateSchedule or a function of no arguments; "
                        f"got {value!r}.") from None


def _initial_value(initializer, shape, dtype):
    if isinstance(initializer, str):
        if initializer not in ("zeros", "ones"):
            raise ValueError(f"Optimizer variables take the initializer 'zeros', 'ones', a number or a function "
                             f"(shape, dtype) -> value; got {initializer!r}.")
        return (np.zeros if initializer == "zeros" else np.ones)(shape, _host_dtype(dtype))
    if isinstance(initializer, (int, float)):
        return np.full(shape, float(initializer), _host_dtype(dtype))
    if callable(initializer):
        return initializer(shape, dtype=dtype)
    raise TypeError(f"Unknown initializer {initializer!r} for an optimizer variable.")


def _host_dtype(dtype):
    # made in the variable's own dtype: a float64 array would be cast on the
    # engine (on jax, one more small compiled program per shape)
    try:
        return np.dtype(dtype)
    except TypeError:  # a dtype numpy lacks (bfloat16): the engine casts
        return np.float64


def _snake_case(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()

