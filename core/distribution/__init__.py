"""core.distribution: train on several devices or processes through the
engine's own runtime (jax.sharding, torch.distributed, tf.distribute).

    core.distribution.set_distribution(core.distribution.DataParallel())
    model.fit(...)   # each device computes on its share of every batch
"""

from .context import distribution, is_chief, set_distribution
from .data_parallel import DataParallel
from .devices import list_devices
from .distribution_lib import Distribution
from .initialize import initialize
from .mesh import DeviceMesh, TensorLayout
from .model_parallel import LayoutMap, ModelParallel

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "TensorLayout",
           "distribution", "initialize", "is_chief", "list_devices", "set_distribution"]
