"""PyTorch: one process per device in a torch.distributed process group
(gloo on CPU, nccl on GPU), launched by torchrun (RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT). Every process walks the same global batches (the
host RNG that shuffles them is synced from rank 0 each epoch) and computes on
its own contiguous share of each; gradients are all-reduced in one flat
buffer, weighted by each share's size, so the update equals one device's on
the whole batch. Metric states are summed and moving statistics averaged
over the processes; only rank 0 prints and writes checkpoints."""

import os

import numpy as np
import torch
import torch.distributed as dist

from kbackend.distribution import Binding, row_share


def _world():
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _auto_initialize():
    # under torchrun the group starts on first use, as if initialize() had been called
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        initialize()


def list_devices(device_type=None):
    _auto_initialize()
    cuda = torch.cuda.is_available()
    if device_type == "tpu" or (device_type == "gpu" and not cuda):
        return []
    kind = "cpu" if device_type == "cpu" or not cuda else "cuda"
    world = _world()
    if world > 1:  # one device per process
        return [f"{kind}:{rank}" for rank in range(world)]
    return [f"cuda:{i}" for i in range(torch.cuda.device_count())] if kind == "cuda" else ["cpu:0"]


def initialize(job_addresses=None, num_processes=None, process_id=None):
    if dist.is_initialized():
        return
    env = os.environ
    world = int(num_processes if num_processes is not None else env.get("WORLD_SIZE", "1"))
    rank = int(process_id if process_id is not None else env.get("RANK", "0"))
    if world <= 1:
        return
    if job_addresses:
        address, _, port = job_addresses.split(",")[0].strip().rpartition(":")
    else:
        address, port = env.get("MASTER_ADDR", "127.0.0.1"), env.get("MASTER_PORT", "29500")
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend, init_method=f"tcp://{address}:{port}", world_size=world, rank=rank)


def bind(distribution):
    return TorchBinding(distribution)


def _flat(values, scale=None):
    parts = [v.detach().reshape(-1).to(torch.float64) for v in values]
    if scale is not None:
        parts = [p * scale for p in parts]
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)


def _unflat(flat, like):
    out, start = [], 0
    for v in like:
        n = v.numel()
        out.append(flat[start:start + n].reshape(v.shape).to(v.dtype))
        start += n
    return out


class TorchBinding(Binding):
    def __init__(self, distribution):
        super().__init__(distribution)
        _auto_initialize()
        self.world = _world()
        self.rank = dist.get_rank() if self.world > 1 else 0
        size = distribution.device_mesh.devices.size
        if size != self.world:
            raise ValueError(
                f"{distribution!r} spans {size} devices but this torch job has {self.world} process(es). Torch runs "
                f"one process per device: launch with `torchrun --nproc_per_node={size} script.py` (or set RANK, "
                "WORLD_SIZE, MASTER_ADDR, MASTER_PORT and call core.distribution.initialize()).")
        self.is_chief = self.rank == 0
        self.reduces_in_step = self.world > 1

    def prepare(self, trainer):
        if self.world == 1:
            return
        # every process starts from rank 0's weights (as DistributedDataParallel does)
        for v in trainer._step_trainable + trainer._step_non_trainable:
            value = v.value.detach().clone()
            dist.broadcast(value, src=0)
            v._replace(value)

    def sync_host_rng(self):
        if self.world == 1:
            return
        state = [np.random.get_state() if self.rank == 0 else None]
        dist.broadcast_object_list(state, src=0)
        np.random.set_state(state[0])

    def distribute_batch(self, kind, batch, convert):
        if self.world == 1 or kind == "predict":
            return convert(batch)
        return convert(row_share(batch, self.world, self.rank))

    def reduce_gradients(self, grads, batch_size):
        with torch.no_grad():
            n = float(batch_size)
            flat = torch.cat([_flat(grads, n), torch.tensor([n], dtype=torch.float64)])
            dist.all_reduce(flat)
            return _unflat(flat[:-1] / flat[-1], grads)

    def reduce_non_trainable(self, values):
        floats = [i for i, v in enumerate(values) if torch.is_floating_point(v)]
        if not floats:
            return values
        with torch.no_grad():
            flat = _flat([values[i] for i in floats])
            dist.all_reduce(flat)
            averaged = _unflat(flat / self.world, [values[i] for i in floats])
        out = list(values)
        for i, value in zip(floats, averaged):
            out[i] = value
        return out

    def reduce_metric_state(self, old, new):
        with torch.no_grad():
            delta = _flat(new) - _flat(old)
            dist.all_reduce(delta)
            return _unflat(_flat(old) + delta, new)
