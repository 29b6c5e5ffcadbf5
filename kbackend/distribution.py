"""`Binding`: what the trainer asks of a distribution, with the single-device
answers; each engine's `distribution` module (kbackend_jax.distribution, ...)
subclasses it."""

import numpy as np

from kbackend import tree


def row_share(batch, parts, index):
    """Rows of `index`-th of `parts` contiguous shares of every array in a host
    batch (as np.array_split cuts them), so the shares join back to the batch."""
    def take(a):
        if a is None or not np.ndim(a):
            return a
        n = len(a)
        start, stop = index * n // parts, (index + 1) * n // parts
        return a[start:stop]
    return tree.map_structure(take, batch)


class Binding:
    is_chief = True
    # True when each replica computes its own share inside the step, so the
    # trainer must have gradients, moving statistics and metric states reduced
    reduces_in_step = False

    def __init__(self, distribution):
        self.distribution = distribution

    def prepare(self, trainer):
        """Called once the trainer knows its variables (before the first step)."""

    def sync_host_rng(self):
        """Called as each epoch starts: processes that shuffle on the host must
        draw the same order."""

    def wrap_step(self, kind, fn, trainer, compile_fn):
        """The callable for step `fn` (kind "train", "test" or "predict"):
        `compile_fn` (the engine's jit, or identity when eager) of it, wrapped."""
        return compile_fn(fn)

    def distribute_batch(self, kind, batch, convert):
        """Host batch -> the step's batch argument; `convert` makes engine tensors."""
        return convert(batch)

    def reduce_gradients(self, grads, batch_size):
        return grads

    def reduce_non_trainable(self, values):
        return values

    def reduce_metric_state(self, old, new):
        return new
