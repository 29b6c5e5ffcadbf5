"""core.distribution on JAX: a jax.sharding.Mesh over the distribution's devices; batches are
placed with a NamedSharding split along the batch axis, variables replicated
(or sharded per the LayoutMap), and the compiled step keeps each new state
value in its variable's sharding. XLA inserts the cross-device reductions,
so the step itself needs no all-reduce. Multi-host through
jax.distributed.initialize."""

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from kbackend.distribution import Binding, row_share


def list_devices(device_type=None):
    try:
        found = jax.devices(device_type) if device_type else jax.devices()
    except RuntimeError:  # no backend of that type
        return []
    return [f"{d.platform}:{d.id}" for d in found]


def initialize(job_addresses=None, num_processes=None, process_id=None):
    env = os.environ
    job_addresses = job_addresses or env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    num_processes = num_processes if num_processes is not None else env.get("KERAS_DISTRIBUTION_NUM_PROCESSES")
    process_id = process_id if process_id is not None else env.get("KERAS_DISTRIBUTION_PROCESS_ID")
    coordinator = job_addresses.split(",")[0].strip() if job_addresses else None
    jax.distributed.initialize(coordinator_address=coordinator,
                               num_processes=None if num_processes is None else int(num_processes),
                               process_id=None if process_id is None else int(process_id))


def _jax_device(name):
    by_name = {f"{d.platform}:{d.id}": d for d in jax.devices()}
    if isinstance(name, str):
        device = by_name.get(name.lower())
        if device is None:
            raise ValueError(f"Unknown device {name!r}; jax has {sorted(by_name)}.")
        return device
    return name  # already a jax Device


def bind(distribution):
    return JaxBinding(distribution)


class JaxBinding(Binding):
    def __init__(self, distribution):
        super().__init__(distribution)
        mesh = distribution.device_mesh
        devices = np.vectorize(_jax_device, otypes=[object])(mesh.devices)
        self.mesh = Mesh(devices, tuple(mesh.axis_names))
        self.batch_axis = distribution.batch_dim_name
        self.batch_ways = mesh.shape[mesh.axis_names.index(self.batch_axis)]
        self.is_chief = jax.process_index() == 0
        self._replicated = NamedSharding(self.mesh, PartitionSpec())
        self._split = NamedSharding(self.mesh, PartitionSpec(self.batch_axis))
        self._shardings = {}

    def _sharding(self, layout):
        return NamedSharding(self.mesh, PartitionSpec(*layout.axes))

    def _slot_sharding(self, slot, trainable):
        # an optimizer slot follows the layout of the model variable it was made from
        # (named "<variable name>_<slot>", same shape); replicated when that is ambiguous
        found = {id(self._shardings[id(v)]): self._shardings[id(v)] for v in trainable
                 if v.shape == slot.shape and slot.name.startswith(f"{v.name}_")}
        return next(iter(found.values())) if len(found) == 1 else self._replicated

    def prepare(self, trainer):
        model_vars = trainer._step_trainable + trainer._step_non_trainable
        for v in model_vars:
            self._shardings[id(v)] = self._sharding(self.distribution.get_variable_layout(v))
        for v in getattr(trainer, "_optimizer_vars", []):
            self._shardings[id(v)] = self._slot_sharding(v, trainer._step_trainable)
        for v in getattr(trainer, "_metric_vars", []):
            self._shardings[id(v)] = self._replicated
        for v in model_vars + getattr(trainer, "_optimizer_vars", []) + getattr(trainer, "_metric_vars", []):
            v._replace(jax.device_put(v.value, self._shardings[id(v)]))

    def _of(self, variables):
        return [self._shardings.get(id(v), self._replicated) for v in variables]

    def wrap_step(self, kind, fn, trainer, compile_fn):
        groups = {"train": [trainer._step_trainable, trainer._step_non_trainable, trainer._optimizer_vars,
                            trainer._metric_vars],
                  "test": [trainer._step_trainable, trainer._step_non_trainable, trainer._metric_vars],
                  "predict": [trainer._step_trainable, trainer._step_non_trainable]}[kind]
        in_shardings = tuple(self._of(g) for g in groups)
        out_shardings = in_shardings if kind == "train" else in_shardings[-1:]

        def constrained(state, batch):
            out = fn(state, batch)
            if kind == "predict":
                return out
            logs, new = out
            new = new if kind == "train" else (new,)
            new = tuple(_constrain(values, s) for values, s in zip(new, out_shardings))
            return logs, new if kind == "train" else new[0]
        compiled = compile_fn(constrained)

        def call(state, batch):
            # values replaced outside the step (reset_metrics, set_weights) go back to their
            # shardings, so the compiled step sees the same input shardings and is not retraced
            return compiled(jax.device_put(tuple(state), in_shardings), batch)
        return call

    def distribute_batch(self, kind, batch, convert):
        processes = jax.process_count()
        local = row_share(batch, processes, jax.process_index()) if processes > 1 else batch

        def place(x):
            if x is None:
                return None
            rows = x.shape[0] * processes if x.ndim else 0
            sharding = self._split if x.ndim and rows % self.batch_ways == 0 else self._replicated
            if processes > 1:
                return jax.make_array_from_process_local_data(sharding, np.asarray(x))
            return jax.device_put(x, sharding)
        return jax.tree.map(place, convert(local), is_leaf=lambda a: a is None)


def _constrain(values, shardings):
    return [jax.lax.with_sharding_constraint(v, s) for v, s in zip(values, shardings)]
