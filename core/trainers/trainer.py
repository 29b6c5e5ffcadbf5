"""One trainer for every engine.

A training step is a pure function of the model's state:

    train_step(state, batch) -> (logs, new state)
    state = (trainable values, non-trainable values, optimizer values, metric values)

The forward pass runs inside a StatelessScope that hands each Variable its
value from `state`, gradients come from the engine's value_and_grad, and the
optimizer and metrics write their updates into scopes too. Nothing in the
step touches a Variable, so the engine's jit (jax.jit, tf.function) compiles
it as it is; after each call the new values are stored back in the Variables.
"""

import functools
import warnings

import numpy as np

import kbackend as K
from kbackend import tree
from kbackend.scope import StatelessScope

from .. import optimizers as optimizers_module
from ..callbacks import CallbackList
from ..distribution.context import active_binding
from ..engine import call_context
from ..metrics import Mean
from . import compile_utils
from .data_adapters import EpochIterator, train_validation_split, unpack_x_y_sample_weight
from .resident import ResidentData


def _to_engine(structure, compiled=False):
    """Host batch -> engine tensors; float64 arrays become floatx, as Keras does.
    For a compiled step (`compiled`) numeric arrays stay on the host: K.jit's
    functions take them and convert them themselves, at less cost per array."""
    def convert(x):
        if x is None:
            return None
        if isinstance(x, np.ndarray):
            if x.dtype == np.float64:
                x = x.astype(K.floatx())
            if compiled and x.dtype.kind in _NUMERIC_KINDS:
                return x
        return K.convert_to_tensor(x)
    return tree.map_structure(convert, structure)


_NUMERIC_KINDS = frozenset("biuf")  # bool, int, unsigned, float: anything else gets convert_to_tensor's errors


def _scoped(variables, values):
    return StatelessScope(list(zip(variables, values)))


def _legacy(kwargs, old, new, where):
    if old in kwargs:
        warnings.warn(f"`{old}` is deprecated in {where}; use `{new}`.", DeprecationWarning, stacklevel=3)
        return kwargs.pop(old)
    return None


class Trainer:
    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._loss_tracker = None
        self._compile_loss = None
        self._compile_metrics = None
        self._output_loss_trackers = []
        self._added_metric_trackers = {}
        self._steps = None
        self._dist = None  # the active distribution's binding, when there is one

    # -- compile -------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True, **kwargs):
        _legacy(kwargs, "sample_weight_mode", "sample_weight in fit", "compile")
        for key in ("target_tensors", "distribute", "experimental_run_tf_function"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}.")
        self.optimizer = optimizer if hasattr(optimizer, "apply") else optimizers_module.get(optimizer)
        self.loss = loss
        self._loss_spec, self._loss_weights = loss, loss_weights
        self._metric_specs, self._weighted_metric_specs = metrics, weighted_metrics
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self.steps_per_execution = int(steps_per_execution)
        self.compiled = True
        self._steps = None  # rebuilt on the next batch
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._output_loss_trackers = []
        self._added_metric_trackers = {}

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must compile your model before {what}. Call model.compile(optimizer, loss).")

    def _output_names(self, y_pred):
        names = getattr(self, "output_names", None)
        if isinstance(y_pred, dict):
            return sorted(y_pred)
        n = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
        if names and len(names) == n:
            return list(names)
        return ["output"] if n == 1 else [f"output_{i + 1}" for i in range(n)]

    def _build_for(self, batch, with_targets):
        """Everything a step needs, from the first batch: the model's weights
        (a lazy model builds here), the loss and metric objects (their meaning
        depends on the shapes of targets and predictions), the optimizer's
        slots, and the lists of Variables the state is made of."""
        x, y, _ = unpack_x_y_sample_weight(batch)
        probe = tree.map_structure(lambda a: a[:2] if a is not None and np.ndim(a) else a, x)
        def probe_call(inputs):
            with StatelessScope():
                return self(inputs, training=False)
        y_pred = K.eval_shape(probe_call, _to_engine(probe))
        added = list(self._collect_added_metrics())
        self._clear_losses()
        if self.compiled and with_targets and self._compile_loss is None:
            names = self._output_names(y_pred)
            self._compile_loss = compile_utils.CompileLoss(self._loss_spec, self._loss_weights, names) \
                if self._loss_spec is not None else None
            self._compile_metrics = compile_utils.CompileMetrics(self._metric_specs, self._weighted_metric_specs,
                                                                 names)
            if y is not None:
                losses = self._compile_loss.losses if self._compile_loss else []
                self._compile_metrics.build(compile_utils.shapes_of(y, names), compile_utils.shapes_of(y_pred, names),
                                            losses)
            self._loss_tracker = Mean(name="loss")
            loss_names = self._compile_loss.names() if self._compile_loss else []
            self._output_loss_trackers = [Mean(name=f"{n}_loss") for n in loss_names] if len(names) > 1 else []
            self._added_metric_trackers = {name: Mean(name=name) for name in added}
        if self.compiled and not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)
        self._step_layers = self._flatten_layers()  # fixed once built, as the state lists below
        self._step_trainable = list(self.trainable_variables)
        self._step_non_trainable = list(self.non_trainable_variables)
        self._optimizer_vars = list(self.optimizer.variables) if self.compiled else []
        self._metric_vars = [v for m in self.metrics for v in m.variables]
        self._steps = {}
        # a distribution (core.distribution) places the state and shards batches
        self._dist = active_binding()
        if self._dist is not None:
            self._dist.prepare(self)

    @property
    def metrics(self):
        if self._loss_tracker is None:
            return []
        found = [self._loss_tracker] + self._output_loss_trackers
        if self._compile_metrics is not None:
            found += self._compile_metrics.objects()
        return found + list(self._added_metric_trackers.values())

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # -- the pure steps -------------------------------------------------------------
    def _call_in_step(self, x, training):
        """The model on a batch inside a step. Its layers' losses and metrics are
        cleared through the list made at build: the model's own outermost call
        would walk all its layers to find them, on every step."""
        self._clear_losses(self._step_layers)
        with call_context.CallContext(training):
            return self(x, training=training)

    def _forward_and_loss(self, x, y, sw, training):
        """(y_pred, total loss, per-output losses, add_metric values)."""
        y_pred = self._call_in_step(x, training)
        extra, added = self._take_step_extras(self._step_layers)
        if self._compile_loss is None:
            total, parts = None, []
        else:
            total, parts = self._compile_loss(y, y_pred, sw)
        for term in extra:
            total = term if total is None else K.add(total, K.cast(term, K.dtype(total)))
        if total is None:
            raise ValueError("The model has no loss to minimize: give compile() a loss or call add_loss().")
        return y_pred, total, parts, added

    def _update_metrics(self, metric_values, x, y, y_pred, sw, total, parts, added):
        with _scoped(self._metric_vars, metric_values) as scope:
            batch = K.cast(K.shape(tree.flatten(y_pred)[0][0])[0], "float32")
            self._loss_tracker.update_state(total, sample_weight=batch)
            for tracker, part in zip(self._output_loss_trackers, parts):
                tracker.update_state(part, sample_weight=batch)
            for name, value in added.items():
                if name in self._added_metric_trackers:
                    self._added_metric_trackers[name].update_state(K.mean(value), sample_weight=batch)
            if y is not None and self._compile_metrics is not None:
                self._compile_metrics.update_state(y, y_pred, sw)
            logs = {m.name: m.result() for m in self.metrics}
        new_values = [scope.get(v) for v in self._metric_vars]
        if self._reduces_in_step():  # each replica saw its share: sum the states, then read the results
            new_values = self._dist.reduce_metric_state(list(metric_values), new_values)
            with _scoped(self._metric_vars, new_values):
                logs = {m.name: m.result() for m in self.metrics}
        return logs, new_values

    def _reduces_in_step(self):
        dist = getattr(self, "_dist", None)
        return dist is not None and dist.reduces_in_step

    def _train_step(self, state, batch):
        trainable, non_trainable, optimizer_values, metric_values = state
        x, y, sw = unpack_x_y_sample_weight(batch)

        def loss_fn(values):
            with _scoped(self._step_trainable + self._step_non_trainable, list(values) + list(non_trainable)) as scope:
                y_pred, total, parts, added = self._forward_and_loss(x, y, sw, True)
                new_nt = [scope.get(v) for v in self._step_non_trainable]
            return total, (y_pred, parts, added, new_nt)

        (total, (y_pred, parts, added, new_non_trainable)), grads = K.value_and_grad(loss_fn, has_aux=True)(
            list(trainable))
        if self._reduces_in_step():  # average over the replicas' shares of the batch
            grads = self._dist.reduce_gradients(grads, K.shape(tree.flatten(x)[0][0])[0])
            new_non_trainable = self._dist.reduce_non_trainable(new_non_trainable)
        trainable = [K.stop_gradient(v) for v in trainable]
        with _scoped(self._step_trainable + self._optimizer_vars, trainable + list(optimizer_values)) as scope:
            self.optimizer.apply(grads, self._step_trainable)
            new_trainable = [scope.get(v) for v in self._step_trainable]
            new_optimizer = [scope.get(v) for v in self._optimizer_vars]
        logs, new_metrics = self._update_metrics(metric_values, x, y, y_pred, sw, total, parts, added)
        return logs, (new_trainable, new_non_trainable, new_optimizer, new_metrics)

    def _test_step(self, state, batch):
        trainable, non_trainable, metric_values = state
        x, y, sw = unpack_x_y_sample_weight(batch)
        with _scoped(self._step_trainable + self._step_non_trainable, list(trainable) + list(non_trainable)):
            y_pred, total, parts, added = self._forward_and_loss(x, y, sw, False)
        logs, new_metrics = self._update_metrics(metric_values, x, y, y_pred, sw, total, parts, added)
        return logs, new_metrics

    def _predict_step(self, state, x):
        trainable, non_trainable = state
        with _scoped(self._step_trainable + self._step_non_trainable, list(trainable) + list(non_trainable)):
            y_pred = self._call_in_step(x, False)
        self._clear_losses(self._step_layers)
        return y_pred

    def _runs_eagerly(self):
        return getattr(self, "run_eagerly", False) or getattr(self, "jit_compile", "auto") is False

    def _compiled(self, name, fn):
        """The step function, compiled by the engine unless run_eagerly."""
        if self._steps is None:
            self._steps = {}
        if name not in self._steps:
            eager = self._runs_eagerly()
            compile_fn = (lambda f: f) if eager else K.jit
            dist = getattr(self, "_dist", None)
            if dist is not None:
                self._steps[name] = dist.wrap_step(name, fn, self, compile_fn)
            elif eager:
                self._steps[name] = fn
            else:  # a train step's state (argument 0) is replaced by its outputs: updated in place
                self._steps[name] = K.jit(fn, donate_argnums=(0,) if _train_key(name) else ())
        return self._steps[name]

    # -- running steps on batches -------------------------------------------------------
    def _ensure_ready(self, batch, with_targets):
        if self._steps is None or (with_targets and self._loss_tracker is None) or (
                getattr(self, "_dist", None) is not active_binding()):
            self._build_for(batch, with_targets)

    def _engine_batch(self, kind, batch):
        dist = self._dist
        if dist is not None:
            return dist.distribute_batch(kind, batch, _to_engine)
        return _to_engine(batch, compiled=not self._runs_eagerly())

    @staticmethod
    def _store(variables, values):
        # the step returns each Variable's next value in its own dtype and shape
        for var, value in zip(variables, values):
            var._replace(value)

    def _train_state(self):
        return ([v.value for v in self._step_trainable], [v.value for v in self._step_non_trainable],
                [v.value for v in self._optimizer_vars], [v.value for v in self._metric_vars])

    def _store_train_state(self, state):
        for variables, values in zip((self._step_trainable, self._step_non_trainable, self._optimizer_vars,
                                      self._metric_vars), state):
            self._store(variables, values)

    def _run_train_step(self, batch):
        self._ensure_ready(batch, True)
        logs, state = self._compiled("train", self._train_step)(self._train_state(), self._engine_batch("train", batch))
        self._store_train_state(state)
        return logs

    def _resident_steps(self, state, data, order, position, count, batch_size):
        """`count` train steps on batches gathered from resident data (see resident.py)."""
        logs = {}
        for i in range(count):  # engine ops on the position: the numpy engine's K.jit records them
            logs, state = self._train_step(state, ResidentData.batch(data, order, K.add(position, i), batch_size))
        return logs, state, K.add(position, count)

    def _run_resident_steps(self, resident, order, position, count):
        fn = self._compiled(("train_resident", count, resident.batch_size),
                            functools.partial(self._resident_steps, count=count, batch_size=resident.batch_size))
        logs, state, position = fn(self._train_state(), resident.tensors, order, position)
        self._store_train_state(state)
        return logs, position

    def _run_test_step(self, batch):
        self._ensure_ready(batch, True)
        state = ([v.value for v in self._step_trainable], [v.value for v in self._step_non_trainable],
                 [v.value for v in self._metric_vars])
        logs, m = self._compiled("test", self._test_step)(state, self._engine_batch("test", batch))
        self._store(self._metric_vars, m)
        return logs

    def _run_predict_step(self, x):
        self._ensure_ready((x,), False)
        state = ([v.value for v in self._step_trainable], [v.value for v in self._step_non_trainable])
        return self._compiled("predict", self._predict_step)(state, self._engine_batch("predict", x))

    @staticmethod
    def _host_logs(logs):
        return {k: float(np.asarray(K.convert_to_numpy(v))) for k, v in logs.items()}

    # -- fit / evaluate / predict -------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        legacy_epochs = _legacy(kwargs, "nb_epoch", "epochs", "fit()")
        if legacy_epochs is not None:
            epochs = legacy_epochs
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword argument(s) {sorted(kwargs)}.")
        self._require_compiled("training it")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = train_validation_split((x, y, sample_weight), validation_split)
        if batch_size is None and steps_per_epoch is None and _is_arrays(x):
            batch_size = 32
        iterator = EpochIterator(x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
                                 steps_per_epoch=steps_per_epoch, shuffle=shuffle, class_weight=class_weight,
                                 steps_per_execution=self.steps_per_execution)
        verbose = 1 if verbose == "auto" else int(verbose)
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=epochs,
            steps=iterator.num_batches)
        self.stop_training = False
        # without batch-level callbacks the host never waits on a step until the
        # epoch ends, so the engine can run ahead (no per-step device sync)
        per_batch = _wants_batch_hooks(callbacks)
        callbacks.on_train_begin()
        for cb in callbacks:
            resume = getattr(cb, "_resume_epoch", None)
            if resume is not None:
                initial_epoch = max(initial_epoch, int(resume))
        resident = None if self.run_eagerly else ResidentData.for_fit(iterator, _to_engine)
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            if resident is not None:
                raw = self._resident_epoch(resident, callbacks, per_batch)
            else:
                raw = self._host_epoch(iterator, callbacks, per_batch)
            logs = self._host_logs(raw)
            if validation_data is not None and _validate_now(epoch, validation_freq):
                vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
                val_logs = self.evaluate(vx, vy, sample_weight=vsw, batch_size=validation_batch_size or batch_size,
                                         steps=validation_steps, callbacks=callbacks, return_dict=True, verbose=0)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, logs)
            if self.stop_training or getattr(iterator, "exhausted", False):
                break
        callbacks.on_train_end(logs)
        return self.history

    def _host_epoch(self, iterator, callbacks, per_batch):
        """One epoch of batches from the data adapter; the last step's logs."""
        raw = {}
        for step, batch in iterator.enumerate_epoch():
            if per_batch:
                callbacks.on_train_batch_begin(step)
            raw = self._run_train_step(batch)
            if per_batch:
                callbacks.on_train_batch_end(step, self._host_logs(raw))
                if self.stop_training:
                    break
        return raw

    def _resident_epoch(self, resident, callbacks, per_batch):
        """One epoch over data held by the engine: steps_per_execution steps
        per compiled call, batch hooks once per call (as Keras)."""
        order = resident.epoch_order()
        self._ensure_ready(resident.first_batch(order), True)
        order_t, position = K.convert_to_tensor(order.astype(np.int32)), K.convert_to_tensor(np.int32(0))
        raw = {}
        for first, count in resident.executions(self.steps_per_execution):
            if per_batch:
                callbacks.on_train_batch_begin(first)
            raw, position = self._run_resident_steps(resident, order_t, position, count)
            if per_batch:
                callbacks.on_train_batch_end(first + count - 1, self._host_logs(raw))
                if self.stop_training:
                    return raw
        rest = resident.remainder(order)
        if rest is not None:
            step = resident.full_batches
            if per_batch:
                callbacks.on_train_batch_begin(step)
            raw = self._run_train_step(rest)
            if per_batch:
                callbacks.on_train_batch_end(step, self._host_logs(raw))
        return raw

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword argument(s) {sorted(kwargs)}.")
        self._require_compiled("evaluating it")
        if batch_size is None and steps is None and _is_arrays(x):
            batch_size = 32
        iterator = EpochIterator(x=x, y=y, sample_weight=sample_weight, batch_size=batch_size, steps_per_epoch=steps,
                                 shuffle=False)
        verbose = 1 if verbose == "auto" else int(verbose)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                     steps=iterator.num_batches)
        self.reset_metrics()
        callbacks.on_test_begin()
        logs = {}
        for step, batch in iterator.enumerate_epoch():
            callbacks.on_test_batch_begin(step)
            logs = self._host_logs(self._run_test_step(batch))
            callbacks.on_test_batch_end(step, logs)
        callbacks.on_test_end(logs)
        return self._format_logs(logs, return_dict)

    def _format_logs(self, logs, return_dict):
        if return_dict:
            return dict(logs)
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword argument(s) {sorted(kwargs)}.")
        if batch_size is None and steps is None and _is_arrays(x):
            batch_size = 32
        iterator = EpochIterator(x=x, batch_size=batch_size, steps_per_epoch=steps, shuffle=False)
        verbose = 1 if verbose == "auto" else int(verbose)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                     steps=iterator.num_batches)
        callbacks.on_predict_begin()
        # outputs stay engine tensors until the end (the engine can run ahead)
        # unless a callback looks at each batch's outputs
        to_host = _overrides(callbacks, ("on_predict_batch_end",), ignore=("ProgbarLogger",))
        outputs = []
        # batches stream from the host: predict reads the data once, so converting
        # it whole first (as fit does) would only add a copy of all of it
        for step, batch in iterator.enumerate_epoch():
            callbacks.on_predict_batch_begin(step)
            y_pred = self._run_predict_step(unpack_x_y_sample_weight(batch)[0])
            if to_host:
                y_pred = tree.map_structure(_host_array, y_pred)
            outputs.append(y_pred)
            callbacks.on_predict_batch_end(step, {"outputs": y_pred} if to_host else {})
        callbacks.on_predict_end()
        if not outputs:
            raise ValueError("predict() got no data: the input is empty.")
        flat = [tree.flatten(o)[0] for o in outputs]
        joined = [np.concatenate([_host_array(p) for p in parts], axis=0) for parts in zip(*flat)]
        return tree.unflatten(tree.flatten(outputs[0])[1], joined)

    # -- one batch ---------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True, return_dict=False):
        self._require_compiled("training it")
        batch = self._single_batch(x, y, sample_weight, class_weight)
        if reset_metrics:
            self.reset_metrics()
        logs = self._host_logs(self._run_train_step(batch))
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        self._require_compiled("evaluating it")
        batch = self._single_batch(x, y, sample_weight, None)
        if reset_metrics:
            self.reset_metrics()
        logs = self._host_logs(self._run_test_step(batch))
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x):
        batch = self._single_batch(x, None, None, None)
        y_pred = self._run_predict_step(batch[0])
        return tree.map_structure(lambda t: np.asarray(K.convert_to_numpy(t)), y_pred)

    @staticmethod
    def _single_batch(x, y, sample_weight, class_weight):
        leaves = [a for a in tree.flatten(x)[0] if a is not None]
        if not leaves:
            raise ValueError("The batch is empty.")
        size = len(leaves[0]) if not K.is_tensor(leaves[0]) else K.int_shape(leaves[0])[0]
        iterator = EpochIterator(x=x, y=y, sample_weight=sample_weight, batch_size=max(int(size), 1), shuffle=False,
                                 class_weight=class_weight)
        for _, batch in iterator.enumerate_epoch():
            return batch
        raise ValueError("The batch is empty.")

    # -- Keras 2 spellings ---------------------------------------------------------------------
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        warnings.warn("fit_generator is deprecated; fit() accepts generators.", DeprecationWarning, stacklevel=2)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        warnings.warn("evaluate_generator is deprecated; evaluate() accepts generators.", DeprecationWarning,
                      stacklevel=2)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        warnings.warn("predict_generator is deprecated; predict() accepts generators.", DeprecationWarning,
                      stacklevel=2)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_classes(self, x, batch_size=32, verbose=0):
        warnings.warn("predict_classes is deprecated; use np.argmax(model.predict(x), axis=-1) (or "
                      "(model.predict(x) > 0.5).astype('int32') for one sigmoid output).", DeprecationWarning,
                      stacklevel=2)
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        warnings.warn("predict_proba is deprecated; use model.predict(x).", DeprecationWarning, stacklevel=2)
        return self.predict(x, batch_size=batch_size, verbose=verbose)


def _train_key(name):
    return name == "train" or (isinstance(name, tuple) and name[0] == "train_resident")


def _wants_batch_hooks(callbacks):
    return _overrides(callbacks, ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"))


def _overrides(callbacks, hooks, ignore=()):
    """Whether a callback (other than those named in ignore) implements one of hooks."""
    from ..callbacks import Callback
    return any(getattr(type(cb), hook) is not getattr(Callback, hook) for cb in callbacks for hook in hooks
               if hasattr(type(cb), hook) and type(cb).__name__ not in ignore)


def _host_array(t):
    return np.asarray(K.convert_to_numpy(t))


def _is_arrays(x):
    leaves = tree.flatten(x)[0]
    return bool(leaves) and all(isinstance(a, np.ndarray) or K.is_tensor(a) or isinstance(a, list) for a in leaves)


def _validate_now(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq

