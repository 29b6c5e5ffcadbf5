"""`initialize`: join a multi-process job through the engine's own runtime."""

import os

from .devices import runtime, single_device_error


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Start the engine's multi-process runtime. Arguments left None come from
    the engine's usual environment variables:
    jax: KERAS_DISTRIBUTION_JOB_ADDRESSES, KERAS_DISTRIBUTION_NUM_PROCESSES, KERAS_DISTRIBUTION_PROCESS_ID
         (then jax.distributed's own detection);
    torch: MASTER_ADDR/MASTER_PORT, WORLD_SIZE, RANK (as torchrun sets them);
    tensorflow: TF_CONFIG (MultiWorkerMirroredStrategy)."""
    rt = runtime()
    if rt is None:
        count = num_processes if num_processes is not None else os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES")
        if count is not None and int(count) > 1:
            raise single_device_error(f"initialize(num_processes={count})")
        return
    rt.initialize(job_addresses, num_processes, process_id)
