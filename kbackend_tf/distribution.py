"""TensorFlow: tf.distribute.MirroredStrategy over the local devices (the
logical CPUs or GPUs), or MultiWorkerMirroredStrategy when TF_CONFIG names
several workers. The step runs through strategy.run on each replica's
share of the batch; gradients, moving statistics and metric states are
all-reduced in the replica context, so every replica returns the same new
state and the first one is kept.

Our Variables hold tf.Variables, but the step never reads them: it gets
their values as arguments and returns new ones (see the trainer). So the
variables need not be created under strategy.scope(): set the
distribution any time before fit."""

import json
import os

import tensorflow as tf

from kbackend.distribution import Binding, row_share


def list_devices(device_type=None):
    kinds = [device_type.upper()] if device_type else ["GPU", "CPU"]
    for kind in kinds:
        found = tf.config.list_logical_devices(kind)
        if found:
            return [f"{kind.lower()}:{i}" for i in range(len(found))]
    return []


def _tf_config():
    raw = os.environ.get("TF_CONFIG")
    return json.loads(raw) if raw else {}


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Write TF_CONFIG from the arguments (when given); the multi-worker strategy
    is made when the distribution is first used."""
    if not job_addresses:
        return
    workers = [a.strip() for a in job_addresses.split(",") if a.strip()]
    if num_processes is not None and int(num_processes) != len(workers):
        raise ValueError(f"initialize: num_processes={num_processes} but job_addresses names {len(workers)} "
                         "workers.")
    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers},
                                          "task": {"type": "worker", "index": int(process_id or 0)}})


def bind(distribution):
    return TFBinding(distribution)


def _device_name(name):
    kind, _, index = str(name).rpartition(":")
    return f"/device:{kind.upper()}:{index}"


class TFBinding(Binding):
    def __init__(self, distribution):
        super().__init__(distribution)
        config = _tf_config()
        workers = config.get("cluster", {}).get("worker", [])
        if len(workers) > 1:
            self.strategy = tf.distribute.MultiWorkerMirroredStrategy()
            self.is_chief = int(config.get("task", {}).get("index", 0)) == 0
        else:
            devices = [_device_name(d) for d in distribution.device_mesh.devices.reshape(-1)]
            self.strategy = tf.distribute.MirroredStrategy(devices=devices)
        self.replicas = self.strategy.num_replicas_in_sync
        self.reduces_in_step = self.replicas > 1

    def wrap_step(self, kind, fn, trainer, compile_fn):
        if kind == "predict" or self.replicas == 1:
            return compile_fn(fn)
        strategy = self.strategy

        def replicated_step(state, batch):
            out = strategy.run(fn, args=(state, batch))
            # the replicas agree after the in-step reductions: keep the first's results
            return tf.nest.map_structure(lambda v: strategy.experimental_local_results(v)[0], out)
        return compile_fn(replicated_step)

    def distribute_batch(self, kind, batch, convert):
        if kind == "predict" or self.replicas == 1:
            return convert(batch)
        parts = self.replicas

        def share(context):
            return convert(row_share(batch, parts, context.replica_id_in_sync_group))
        return self.strategy.experimental_distribute_values_from_function(share)

    @staticmethod
    def _sum(values):
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, values)

    def reduce_gradients(self, grads, batch_size):
        n = tf.cast(batch_size, tf.float64)
        summed = self._sum([tf.cast(g, tf.float64) * n for g in grads] + [n])
        return [tf.cast(g / summed[-1], g0.dtype) for g, g0 in zip(summed[:-1], grads)]

    def reduce_non_trainable(self, values):
        floats = [i for i, v in enumerate(values) if v.dtype.is_floating]
        if not floats:
            return values
        summed = self._sum([values[i] for i in floats])
        out = list(values)
        for i, value in zip(floats, summed):
            out[i] = value / self.replicas
        return out

    def reduce_metric_state(self, old, new):
        deltas = self._sum([tf.cast(n, tf.float64) - tf.cast(o, tf.float64) for o, n in zip(old, new)])
        return [tf.cast(tf.cast(o, tf.float64) + d, n.dtype) for o, n, d in zip(old, new, deltas)]
